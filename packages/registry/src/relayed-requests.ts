import type { McpKind } from "@conduit/protocol";

/** Who an upstream request was relayed to: only that agent, on that mcp, may answer it. */
export interface RelayedRequest {
  readonly responseId: string;
  readonly mcp: McpKind;
}

export const DEFAULT_MAX_RELAYED = 1024;

/** A JSON-RPC id as a map key that keeps `1` and `"1"` apart. */
function keyOf(id: string | number): string {
  return typeof id === "number" ? `n${id}` : `s${id}`;
}

/**
 * The upstream requests (sampling, elicitation, roots, ping…) relayed to
 * agents on one socket and not answered yet, by the id the attach client
 * minted. Bounded: past `max`, the oldest is evicted and handed back so the
 * caller can answer the upstream with an error instead of leaving it waiting.
 */
export class RelayedRequests {
  readonly max: number;
  readonly #entries = new Map<string, RelayedRequest & { id: string | number }>();

  constructor(max = DEFAULT_MAX_RELAYED) {
    this.max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records a relayed request; returns the evicted oldest one when the table was full. */
  add(id: string | number, entry: RelayedRequest): (RelayedRequest & { id: string | number }) | undefined {
    const key = keyOf(id);
    this.#entries.delete(key);
    let evicted: (RelayedRequest & { id: string | number }) | undefined;
    if (this.#entries.size >= this.max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) {
        evicted = this.#entries.get(oldest.value);
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(key, { id, responseId: entry.responseId, mcp: entry.mcp });
    return evicted;
  }

  /**
   * Takes the entry for `id` when it was relayed to exactly this agent and
   * mcp; anything else (unknown, answered already, another agent's) is
   * undefined and the entry stays.
   */
  take(id: string | number, responseId: string, mcp: McpKind): RelayedRequest | undefined {
    const key = keyOf(id);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.responseId !== responseId || entry.mcp !== mcp) return undefined;
    this.#entries.delete(key);
    return entry;
  }

  clear(): void {
    this.#entries.clear();
  }
}
