import { LIST_KINDS } from "@conduit/protocol";
import type { ListKind, McpKind } from "@conduit/protocol";

export interface SubscriptionHandlers {
  /** Called synchronously when the subscription goes from no pending signal to at least one. Not called again until take() empties it. */
  onPending(): void;
  /** Called once when the subscription is closed by the registry (closeAll), not when the subscriber calls close() itself. */
  onClose?(): void;
}

export interface ListChangedSubscription extends Disposable {
  readonly responseId: string;
  readonly mcp: McpKind;
  readonly closed: boolean;
  /** Takes and clears the pending list kinds (each at most once, in LIST_KINDS order). */
  take(): ListKind[];
  /** Unsubscribes; idempotent. The key is removed from the registry when its last subscriber leaves. */
  close(): void;
}

// One bit per list kind: a subscriber holds at most one pending signal per kind.
const BITS = new Map<ListKind, number>(LIST_KINDS.map((list, index) => [list, 1 << index]));

export function listBit(list: ListKind): number {
  const bit = BITS.get(list);
  if (bit === undefined) throw new TypeError(`unknown list kind: ${String(list)}`);
  return bit;
}

/**
 * The registry's subscription object. `signal` and `closeByRegistry` are for the
 * registry only; the package exports the `ListChangedSubscription` interface.
 */
export class Subscription implements ListChangedSubscription {
  readonly responseId: string;
  readonly mcp: McpKind;
  readonly #handlers: SubscriptionHandlers;
  readonly #detach: (subscription: Subscription) => void;
  #pending = 0;
  #closed = false;

  constructor(
    responseId: string,
    mcp: McpKind,
    handlers: SubscriptionHandlers,
    detach: (subscription: Subscription) => void,
  ) {
    this.responseId = responseId;
    this.mcp = mcp;
    this.#handlers = handlers;
    this.#detach = detach;
  }

  get closed(): boolean {
    return this.#closed;
  }

  take(): ListKind[] {
    const pending = this.#pending;
    if (pending === 0) return [];
    this.#pending = 0;
    return LIST_KINDS.filter((list) => (pending & listBit(list)) !== 0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = 0;
    this.#detach(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Marks `bit` pending; runs onPending on the empty → non-empty edge. False when closed. */
  signal(bit: number): boolean {
    if (this.#closed) return false;
    const before = this.#pending;
    this.#pending = before | bit;
    if (before === 0) this.#handlers.onPending();
    return true;
  }

  /** Closes without detaching (the registry has already dropped this subscription) and runs onClose. */
  closeByRegistry(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = 0;
    this.#handlers.onClose?.();
  }
}
