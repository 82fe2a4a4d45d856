import { randomUUID } from "node:crypto";
import type { UpstreamConnection } from "./connection.js";

/**
 * Every upstream connection of one attach session: the live ones (so that
 * shutdown reaches even those still initializing) and the ones bound to a
 * minted Mcp-Session-Id.
 */
export class UpstreamPool {
  readonly #live = new Set<UpstreamConnection>();
  readonly #sessions = new Map<string, UpstreamConnection>();
  #shutdown: Promise<void> | undefined;

  get isShutDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Adds a connection before it starts; false after shutdown (then it must not be started). */
  track(connection: UpstreamConnection): boolean {
    if (this.#shutdown) return false;
    this.#live.add(connection);
    return true;
  }

  /** Mints the session id the API will see as Mcp-Session-Id. */
  bind(connection: UpstreamConnection): string | undefined {
    if (this.#shutdown || connection.isClosed) return undefined;
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

  /** Called when a connection has closed: it leaves the pool and its sessions end. */
  forget(connection: UpstreamConnection): void {
    this.#live.delete(connection);
    for (const [sessionId, bound] of this.#sessions) {
      if (bound === connection) this.#sessions.delete(sessionId);
    }
  }

  get size(): number {
    return this.#live.size;
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
