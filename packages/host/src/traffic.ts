import type { McpOutcome } from "./options.js";

/** One row of the traffic listing: how many forwarded requests of `mcp`/`method` ended with `outcome`. */
export interface TrafficCount {
  mcp: string;
  method: string;
  outcome: McpOutcome | "other";
  count: number;
}

export interface TrafficSnapshot {
  /** The span counted, ms (the window, or less while the host is younger). */
  windowMs: number;
  /** ISO time of the oldest bucket counted. */
  since: string;
  total: number;
  /** Largest count first. */
  counts: TrafficCount[];
}

/** Distinct mcp/method/outcome rows a bucket keeps; further rows are summed into one `other` row. */
export const MAX_TRAFFIC_ROWS = 512;
const OTHER = "\u0000other";
const BUCKETS = 15;

interface Bucket {
  start: number;
  rows: Map<string, number>;
}

/**
 * Counts forwarded MCP requests over a sliding window, in 15 buckets (so the
 * window slides in steps of a fifteenth). Method names come from agents, so
 * the rows per bucket are bounded (MAX_TRAFFIC_ROWS) and overflow is counted
 * as `other`, never dropped.
 */
export class TrafficCounter {
  readonly #bucketMs: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #buckets: Bucket[] = [];

  constructor(windowMs: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
    this.#now = now;
  }

  record(event: { mcp: string; method: string; outcome: McpOutcome }): void {
    const bucket = this.#current();
    let key = JSON.stringify([event.mcp, event.method, event.outcome]);
    if (!bucket.rows.has(key) && bucket.rows.size >= MAX_TRAFFIC_ROWS) key = OTHER;
    bucket.rows.set(key, (bucket.rows.get(key) ?? 0) + 1);
  }

  snapshot(): TrafficSnapshot {
    this.#prune();
    const summed = new Map<string, number>();
    for (const bucket of this.#buckets) {
      for (const [key, count] of bucket.rows) summed.set(key, (summed.get(key) ?? 0) + count);
    }
    const counts: TrafficCount[] = [];
    let total = 0;
    for (const [key, count] of summed) {
      total += count;
      if (key === OTHER) {
        counts.push({ mcp: "*", method: "*", outcome: "other", count });
        continue;
      }
      const [mcp, method, outcome] = JSON.parse(key) as [string, string, McpOutcome];
      counts.push({ mcp, method, outcome, count });
    }
    counts.sort((a, b) => b.count - a.count || a.mcp.localeCompare(b.mcp) || a.method.localeCompare(b.method));
    const now = this.#now();
    const since = this.#buckets[0]?.start ?? now;
    return { windowMs: this.#windowMs, since: new Date(since).toISOString(), total, counts };
  }

  #current(): Bucket {
    this.#prune();
    const start = Math.floor(this.#now() / this.#bucketMs) * this.#bucketMs;
    const last = this.#buckets.at(-1);
    if (last !== undefined && last.start === start) return last;
    const bucket = { start, rows: new Map<string, number>() };
    this.#buckets.push(bucket);
    return bucket;
  }

  #prune(): void {
    const oldest = this.#now() - this.#windowMs;
    while (this.#buckets.length > 0 && this.#buckets[0]!.start + this.#bucketMs <= oldest) this.#buckets.shift();
  }
}
