import { LIST_KINDS } from "@conduit/protocol";
import type { ListKind, McpKind } from "@conduit/protocol";

export interface SubscriptionHandlers {
  /** Called synchronously when the subscription goes from no pending signal to at least one. Not called again until take() empties it. */
  onPending(): void;
  /** Called once when the subscription is closed by the registry (closeAll), not when the subscriber calls close() itself. */
  onClose?(): void;
}

export interface SubscriptionOptions {
  /** The Mcp-Session-Id of the GET that opened the stream: messages for that session prefer this stream. */
  sessionId?: string;
  /** Messages held for a reader that does not keep up (default 256); past it the stream is ended. */
  maxQueuedMessages?: number;
  /** Characters (string length) of messages held likewise (default 1 Mi); past it the stream is ended. */
  maxQueuedChars?: number;
}

export const DEFAULT_MAX_QUEUED_MESSAGES = 256;
export const DEFAULT_MAX_QUEUED_CHARS = 1024 * 1024;

export interface SseSubscription extends Disposable {
  readonly responseId: string;
  readonly mcp: McpKind;
  readonly sessionId: string | undefined;
  readonly closed: boolean;
  /** Takes and clears the pending list kinds (each at most once, in LIST_KINDS order). */
  take(): ListKind[];
  /** Takes the queued messages (JSON-RPC message texts), oldest first. */
  takeMessages(): string[];
  /** Unsubscribes; idempotent. The key is removed from the registry when its last subscriber leaves. */
  close(): void;
}

// One bit per list kind: a subscriber holds at most one pending signal per kind.
const BITS = new Map<ListKind, number>(LIST_KINDS.map((list, index) => [list, 1 << index]));

export function listBit(list: ListKind): number {
  const bit = BITS.get(list);
  if (bit === undefined) throw new RangeError(`unknown list kind: ${String(list)}`);
  return bit;
}

/**
 * The registry's subscription object. `signal` and `closeByRegistry` are for the
 * registry only; the package exports the `SseSubscription` interface.
 */
export class Subscription implements SseSubscription {
  readonly responseId: string;
  readonly mcp: McpKind;
  readonly sessionId: string | undefined;
  readonly #handlers: SubscriptionHandlers;
  readonly #detach: (subscription: Subscription) => void;
  readonly #maxMessages: number;
  readonly #maxChars: number;
  #pending = 0;
  #messages: string[] = [];
  #queuedChars = 0;
  #closed = false;

  constructor(
    responseId: string,
    mcp: McpKind,
    handlers: SubscriptionHandlers,
    detach: (subscription: Subscription) => void,
    options: SubscriptionOptions = {},
  ) {
    this.responseId = responseId;
    this.mcp = mcp;
    this.sessionId = options.sessionId;
    this.#handlers = handlers;
    this.#detach = detach;
    this.#maxMessages = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
    this.#maxChars = options.maxQueuedChars ?? DEFAULT_MAX_QUEUED_CHARS;
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

  takeMessages(): string[] {
    if (this.#messages.length === 0) return [];
    const messages = this.#messages;
    this.#messages = [];
    this.#queuedChars = 0;
    return messages;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = 0;
    this.#messages = [];
    this.#detach(this);
  }

  /**
   * Queues one message; runs onPending on the empty → non-empty edge. A queue
   * past its bounds means the reader stopped: the subscription is closed
   * (onClose ends the stream) and false returned.
   */
  enqueue(text: string): boolean {
    if (this.#closed) return false;
    if (this.#messages.length >= this.#maxMessages || this.#queuedChars + text.length > this.#maxChars) {
      this.close();
      this.#handlers.onClose?.();
      return false;
    }
    const wasIdle = this.#pending === 0 && this.#messages.length === 0;
    this.#messages.push(text);
    this.#queuedChars += text.length;
    if (wasIdle) this.#handlers.onPending();
    return true;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Marks `bit` pending; runs onPending on the empty → non-empty edge. False when closed. */
  signal(bit: number): boolean {
    if (this.#closed) return false;
    const before = this.#pending;
    this.#pending = before | bit;
    if (before === 0 && this.#messages.length === 0) this.#handlers.onPending();
    return true;
  }

  /** Closes without detaching (the registry has already dropped this subscription) and runs onClose. */
  closeByRegistry(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = 0;
    this.#messages = [];
    this.#handlers.onClose?.();
  }
}
