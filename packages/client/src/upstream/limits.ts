import { MAX_TIMER_MS } from "@conduit/protocol";
import type { HttpUpstreamLimits, UpstreamSpec } from "../types.js";

/** The API's default WebSocket frame limit: a larger message could not reach the agent anyway. */
const SIXTEEN_MIB = 16 * 1024 * 1024;

export const DEFAULT_MAX_LINE_BYTES = SIXTEEN_MIB;

export const DEFAULT_HTTP_LIMITS: Required<HttpUpstreamLimits> = {
  maxJsonBytes: SIXTEEN_MIB,
  maxSseEventChars: SIXTEEN_MIB,
  connectTimeoutMs: 10_000,
  // Long enough for a tool that answers with plain JSON after minutes of work; upstreamTimeoutMs still applies.
  headersTimeoutMs: 300_000,
  closeTimeoutMs: 2_000,
};

const LIMIT_NAMES = [...Object.keys(DEFAULT_HTTP_LIMITS), "maxLineBytes"] as const;
/** Timers hold at most this; the byte limits share the bound so every limit reads the same. */
const MAX_LIMIT = MAX_TIMER_MS;

/** The spec's limits with the defaults filled in. */
export function httpLimits(spec: HttpUpstreamLimits): Required<HttpUpstreamLimits> {
  return {
    maxJsonBytes: spec.maxJsonBytes ?? DEFAULT_HTTP_LIMITS.maxJsonBytes,
    maxSseEventChars: spec.maxSseEventChars ?? DEFAULT_HTTP_LIMITS.maxSseEventChars,
    connectTimeoutMs: spec.connectTimeoutMs ?? DEFAULT_HTTP_LIMITS.connectTimeoutMs,
    headersTimeoutMs: spec.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    closeTimeoutMs: spec.closeTimeoutMs ?? DEFAULT_HTTP_LIMITS.closeTimeoutMs,
  };
}

/** TypeError for a limit that is not a number, RangeError for one that is not an integer from 1 to 2 147 483 647. */
export function checkUpstreamLimits(kind: string, spec: UpstreamSpec): void {
  const values = spec as unknown as Record<string, unknown>;
  for (const name of LIMIT_NAMES) {
    const value = values[name];
    if (value === undefined) continue;
    if (typeof value !== "number") throw new TypeError(`mcp ${kind}: ${name} must be a number, got ${typeof value}`);
    if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
      throw new RangeError(`mcp ${kind}: ${name} must be an integer from 1 to ${MAX_LIMIT}, got ${String(value)}`);
    }
  }
}
