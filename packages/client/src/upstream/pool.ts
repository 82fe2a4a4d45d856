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
 */
export class UpstreamPool {
  readonly limit: number;
  readonly #live = new Set<UpstreamConnection>();
  readonly #sessions = new Map<string, UpstreamConnection>();
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

  /** Called when a connection has closed: it leaves the pool (freeing its slot) and its session ends. */
  forget(connection: UpstreamConnection): void {
    this.#live.delete(connection);
    for (const [sessionId, bound] of this.#sessions) {
      if (bound === connection) this.#sessions.delete(sessionId);
    }
  }

  /** Live connections, each counting against `limit`. */
  get size(): number {
    return this.#live.size;
  }

  get sessionCount(): number {
    return this.#sessions.size;
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
    });
    return this.#shutdown;
  }
}
