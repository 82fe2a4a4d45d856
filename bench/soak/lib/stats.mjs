// Counters of the soak: calls by kind, errors by code, latencies, and the
// failures that make it exit non-zero (lost, crossed, wrong, unexpected).
import { performance } from "node:perf_hooks";

/** The p-th percentile (0..100) of an ascending array; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const ascending = (a, b) => a - b;
/** The timeline's latency percentiles cover the calls of this last stretch of time. */
const WINDOW_MS = 10_000;

/** At most this many failure records per type are kept with their detail (the counts are always exact). */
const MAX_FAILURE_RECORDS_PER_TYPE = 20;

export class Stats {
  /** kind → { ok, error, cancelled } */
  calls = new Map();
  /** "kind code" → count, for errors that were expected (the CLI was being killed) */
  expectedErrors = new Map();
  /** code → count, every error */
  errors = new Map();
  /** failure type → count */
  failures = new Map();
  failureRecords = [];
  /** kind → latencies (ms) of every successful call */
  latencies = new Map();
  /** [time, latency] of the calls of the last WINDOW_MS (the timeline's p50/p99) */
  window = [];
  /** free-form counters (notifies, list_changed, churn, …) */
  counters = new Map();

  #kind(kind) {
    let entry = this.calls.get(kind);
    if (!entry) {
      entry = { ok: 0, error: 0, cancelled: 0 };
      this.calls.set(kind, entry);
    }
    return entry;
  }

  ok(kind, ms) {
    this.#kind(kind).ok++;
    let list = this.latencies.get(kind);
    if (!list) this.latencies.set(kind, (list = []));
    list.push(ms);
    this.window.push([performance.now(), ms]);
  }

  cancelled(kind) {
    this.#kind(kind).cancelled++;
  }

  error(kind, code, expected) {
    this.#kind(kind).error++;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (expected) {
      const key = `${kind} ${code}`;
      this.expectedErrors.set(key, (this.expectedErrors.get(key) ?? 0) + 1);
    }
  }

  fail(type, detail) {
    const n = (this.failures.get(type) ?? 0) + 1;
    this.failures.set(type, n);
    if (n <= MAX_FAILURE_RECORDS_PER_TYPE) this.failureRecords.push({ type, at: Date.now(), detail });
  }

  count(name, by = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get failed() {
    let total = 0;
    for (const n of this.failures.values()) total += n;
    return total;
  }

  totalCalls() {
    let total = 0;
    for (const entry of this.calls.values()) total += entry.ok + entry.error + entry.cancelled;
    return total;
  }

  /** p50/p99 of the calls that ended in the last WINDOW_MS. */
  takeWindow() {
    const since = performance.now() - WINDOW_MS;
    this.window = this.window.filter(([at]) => at >= since);
    const sorted = this.window.map(([, ms]) => ms).sort(ascending);
    return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }

  /** p50/p99 over the whole run, per kind and for all kinds together. */
  overall() {
    const out = {};
    const all = [];
    for (const [kind, list] of this.latencies) {
      const sorted = [...list].sort(ascending);
      out[kind] = { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
      all.push(...list);
    }
    all.sort(ascending);
    out.all = { n: all.length, p50: percentile(all, 50), p99: percentile(all, 99) };
    return out;
  }
}

/** A short code for an error thrown by an SDK call: `mcp -32602`, `http 503/-32002`, `aborted`, … */
export function errorCode(error) {
  if (error === null || typeof error !== "object") return String(error);
  const name = error.constructor?.name ?? error.name;
  const message = String(error.message ?? "");
  if (name === "StreamableHTTPError" || /^Streamable HTTP error/.test(message)) {
    const rpc = /"code":(-?\d+)/.exec(message);
    return `http ${error.code}${rpc ? `/${rpc[1]}` : ""}`;
  }
  if (name === "McpError" || typeof error.code === "number") return `mcp ${error.code}`;
  if (error.name === "AbortError") return "aborted";
  if (message === "fetch failed") return `fetch ${error.cause?.code ?? "failed"}`;
  if (typeof error.code === "string") return error.code;
  return error.name ?? "Error";
}
