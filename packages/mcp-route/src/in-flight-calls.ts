import type { ReverseChannel } from "@conduit/registry";

interface InFlight {
  readonly channel: ReverseChannel;
  readonly exchangeId: number;
}

/**
 * The agent-side ids of the requests in flight through one route, so that an
 * agent's `notifications/cancelled` (which names the request by the agent's
 * own id) reaches the right exchange. The key holds the response id, mcp and
 * Mcp-Session-Id: the same agent-side id on another session, mcp or agent is
 * another request. Entries leave when their request settles.
 */
export class InFlightCalls {
  readonly #calls = new Map<string, InFlight>();

  get size(): number {
    return this.#calls.size;
  }

  static key(responseId: string, mcp: string, sessionId: string | undefined, id: string | number): string {
    return `${responseId}\n${mcp}\n${sessionId ?? ""}\n${typeof id === "number" ? "n" : "s"}${id}`;
  }

  add(key: string, channel: ReverseChannel, exchangeId: number): void {
    this.#calls.set(key, { channel, exchangeId });
  }

  /** Removes the entry only while it is still this exchange's (a reused id may have replaced it). */
  remove(key: string, exchangeId: number): void {
    if (this.#calls.get(key)?.exchangeId === exchangeId) this.#calls.delete(key);
  }

  /** Cancels the request `key` names; false when none is in flight. */
  cancel(key: string, reason: string): boolean {
    const call = this.#calls.get(key);
    if (call === undefined) return false;
    this.#calls.delete(key);
    return call.channel.cancel(call.exchangeId, reason);
  }
}
