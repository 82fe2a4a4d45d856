import type { ListKind, McpKind } from "@conduit/protocol";
import { rethrowAll } from "./rethrow-all.js";
import { ReplayStore, type ReplayStoreOptions } from "./replay-store.js";
import { Subscription, listBit } from "./subscription.js";
import type { SseSubscription, SubscriptionHandlers, SubscriptionOptions } from "./subscription.js";

export interface SseStreamRegistryOptions {
  /** Live subscriptions one response id may hold over all its mcps (default 16). */
  maxSubscribersPerId?: number;
  /** Bounds of the Last-Event-ID replay store. */
  replay?: ReplayStoreOptions;
}

export const DEFAULT_MAX_SUBSCRIBERS_PER_ID = 16;

interface IdEntry {
  count: number;
  readonly byMcp: Map<McpKind, Set<Subscription>>;
}

/** Per (responseId, mcp) fan-out of list_changed signals to open GET-SSE streams. */
export class SseStreamRegistry {
  /** What each GET stream wrote recently, for clients that reconnect with Last-Event-ID. */
  readonly replay: ReplayStore;
  readonly #maxPerId: number;
  readonly #byId = new Map<string, IdEntry>();
  #total = 0;
  #keys = 0;

  constructor(options: SseStreamRegistryOptions = {}) {
    const max = options.maxSubscribersPerId ?? DEFAULT_MAX_SUBSCRIBERS_PER_ID;
    if (!Number.isInteger(max) || max < 0) {
      throw new RangeError(`maxSubscribersPerId must be a non-negative integer, got ${String(max)}`);
    }
    this.#maxPerId = max;
    this.replay = new ReplayStore(options.replay);
  }

  /** Subscribes to list_changed signals for (responseId, mcp). Returns null when responseId already has maxSubscribersPerId subscribers (over all mcps). */
  subscribe(
    responseId: string,
    mcp: McpKind,
    handlers: SubscriptionHandlers,
    options: SubscriptionOptions = {},
  ): SseSubscription | null {
    let entry = this.#byId.get(responseId);
    if ((entry?.count ?? 0) >= this.#maxPerId) return null;
    if (entry === undefined) {
      entry = { count: 0, byMcp: new Map() };
      this.#byId.set(responseId, entry);
    }
    let subscribers = entry.byMcp.get(mcp);
    if (subscribers === undefined) {
      subscribers = new Set();
      entry.byMcp.set(mcp, subscribers);
      this.#keys += 1;
    }
    const subscription = new Subscription(responseId, mcp, handlers, (s) => this.#detach(s), options);
    subscribers.add(subscription);
    entry.count += 1;
    this.#total += 1;
    return subscription;
  }

  /** Marks `list` pending on every subscriber of (responseId, mcp); returns how many subscribers were signalled. */
  publish(responseId: string, mcp: McpKind, list: ListKind): number {
    const bit = listBit(list);
    const subscribers = this.#byId.get(responseId)?.byMcp.get(mcp);
    if (subscribers === undefined) return 0;
    let signalled = 0;
    const errors: unknown[] = [];
    for (const subscription of subscribers) {
      try {
        if (subscription.signal(bit)) signalled += 1;
      } catch (error) {
        // The bit is set before onPending runs, so the subscriber still counts.
        signalled += 1;
        errors.push(error);
      }
    }
    rethrowAll(errors);
    return signalled;
  }

  /**
   * Queues one upstream message (JSON-RPC text) on ONE stream of (responseId,
   * mcp) — MCP sends each message on one stream only: the stream of `sessionId`
   * when there is one, else the oldest. Returns false when no stream took it
   * (none open, or the chosen one overflowed and was ended).
   */
  deliver(responseId: string, mcp: McpKind, sessionId: string | undefined, text: string): boolean {
    const subscribers = this.#byId.get(responseId)?.byMcp.get(mcp);
    if (subscribers === undefined) return false;
    let chosen: Subscription | undefined;
    for (const subscription of subscribers) {
      if (chosen === undefined) chosen = subscription;
      if (sessionId !== undefined && subscription.sessionId === sessionId) {
        chosen = subscription;
        break;
      }
    }
    return chosen?.enqueue(text) ?? false;
  }

  /** Closes every subscription of responseId (all mcps) and forgets its replay events — called when the id is released; each subscription's onClose runs. Returns how many closed. */
  closeAll(responseId: string): number {
    this.replay.drop(responseId);
    const entry = this.#byId.get(responseId);
    if (entry === undefined) return 0;
    // Drop the whole id first so onClose handlers see a consistent registry.
    this.#byId.delete(responseId);
    this.#total -= entry.count;
    this.#keys -= entry.byMcp.size;
    const errors: unknown[] = [];
    for (const subscribers of entry.byMcp.values()) {
      for (const subscription of subscribers) {
        try {
          subscription.closeByRegistry();
        } catch (error) {
          errors.push(error);
        }
      }
    }
    rethrowAll(errors);
    return entry.count;
  }

  /** Number of live subscriptions, overall or for one id / one (id, mcp). */
  subscriberCount(responseId?: string, mcp?: McpKind): number {
    if (responseId === undefined) return this.#total;
    const entry = this.#byId.get(responseId);
    if (entry === undefined) return 0;
    if (mcp === undefined) return entry.count;
    return entry.byMcp.get(mcp)?.size ?? 0;
  }

  /** Number of (responseId, mcp) keys with at least one subscriber (0 after every subscriber left). */
  get keyCount(): number {
    return this.#keys;
  }

  #detach(subscription: Subscription): void {
    const entry = this.#byId.get(subscription.responseId);
    const subscribers = entry?.byMcp.get(subscription.mcp);
    // Absent after closeAll (or when the id was re-created since): nothing to undo.
    if (entry === undefined || subscribers === undefined || !subscribers.delete(subscription)) return;
    entry.count -= 1;
    this.#total -= 1;
    if (subscribers.size === 0) {
      entry.byMcp.delete(subscription.mcp);
      this.#keys -= 1;
    }
    if (entry.count === 0) this.#byId.delete(subscription.responseId);
  }
}
