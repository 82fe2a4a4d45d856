import { randomUUID } from "node:crypto";
import type { UpstreamConnection } from "./connection.js";

export type TrackResult = "tracked" | "full" | "shut-down";

/**
 * Every upstream connection of one attach session: the live ones (so that
 * shutdown reaches even those still initializing) and the ones bound to a
 * minted Mcp-Session-Id. A connection is live from the moment initialize
 * reserves it (before anything is spawned or dialled) until it has closed
 * (a stdio child has exited). At most `limit` are live at once, and each has
 * at most one session, so both collections stay within `limit`.
 *
 * A live connection is either bound to one session (MCP 2025-era, opened by
 * initialize) or *shared*: the sessionless connection (MCP 2026-07-28) that
 * serves every agent's sessionless requests for one mcp and argument set,
 * opened on first use and kept until it closes or the pool shuts down.
 */
export class UpstreamPool {
  readonly limit: number;
  readonly #live = new Set<UpstreamConnection>();
  readonly #sessions = new Map<string, UpstreamConnection>();
  /** Shared sessionless connections, opened or still opening, by key (mcp and arguments). */
  readonly #shared = new Map<string, Promise<UpstreamConnection>>();
  /** The opened ones among them, so that only the connection a key holds can remove it. */
  readonly #sharedOpen = new Map<string, UpstreamConnection>();
  #refusals = 0;
  #shutdown: Promise<void> | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  get isShutDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Adds a connection before it starts; unless "tracked", it must not be started. */
  track(connection: UpstreamConnection): TrackResult {
    if (this.#shutdown) return "shut-down";
    if (this.#live.size >= this.limit) {
      this.#refusals++;
      return "full";
    }
    this.#live.add(connection);
    return "tracked";
  }

  /** Mints the session id the API will see as Mcp-Session-Id; once per live connection. */
  bind(connection: UpstreamConnection): string | undefined {
    if (this.#shutdown || connection.isClosed || !this.#live.has(connection)) return undefined;
    for (const bound of this.#sessions.values()) if (bound === connection) return undefined;
    const sessionId = randomUUID();
    this.#sessions.set(sessionId, connection);
    return sessionId;
  }

  get(sessionId: string): UpstreamConnection | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Removes a session binding; returns the connection it had. */
  unbind(sessionId: string): UpstreamConnection | undefined {
    const connection = this.#sessions.get(sessionId);
    this.#sessions.delete(sessionId);
    return connection;
  }

  /**
   * The shared connection for `key`: the open one, the one still opening, or a new
   * one from `open` (which must track() it, and reject when it cannot start). A
   * connection that failed to open, or has closed, is replaced on the next call.
   */
  shared(key: string, open: () => Promise<UpstreamConnection>): Promise<UpstreamConnection> {
    const existing = this.#shared.get(key);
    if (existing !== undefined) return existing;
    const opening = open();
    this.#shared.set(key, opening);
    opening.then(
      (connection) => {
        if (this.#shared.get(key) !== opening) return;
        if (connection.isClosed || !this.#live.has(connection)) this.#shared.delete(key);
        else this.#sharedOpen.set(key, connection);
      },
      () => {
        if (this.#shared.get(key) === opening) this.#shared.delete(key);
      },
    );
    return opening;
  }

  /** Called when a connection has closed: it leaves the pool (freeing its slot) and its session ends. */
  forget(connection: UpstreamConnection): void {
    this.#live.delete(connection);
    for (const [sessionId, bound] of this.#sessions) {
      if (bound === connection) this.#sessions.delete(sessionId);
    }
    const key = connection.sharedKey;
    if (key !== undefined && this.#sharedOpen.get(key) === connection) {
      this.#sharedOpen.delete(key);
      this.#shared.delete(key);
    }
  }

  /** Live connections, each counting against `limit`. */
  get size(): number {
    return this.#live.size;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Shared sessionless connections open or opening. */
  get sharedCount(): number {
    return this.#shared.size;
  }

  /** How many connections track() refused because the pool was full. */
  get refusals(): number {
    return this.#refusals;
  }

  /** Closes every connection (children are ended) and refuses new ones. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.allSettled([...this.#live].map((connection) => connection.close())).then(() => {
      this.#live.clear();
      this.#sessions.clear();
      this.#shared.clear();
      this.#sharedOpen.clear();
    });
    return this.#shutdown;
  }
}
