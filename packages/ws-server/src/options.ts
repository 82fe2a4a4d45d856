import { MAX_TIMER_MS, safeLogger, silentLogger, type Logger } from "@conduit/protocol";
import type { ReverseChannelRegistry } from "@conduit/registry";
import type { ElicitationResponseHandler, NotifyHandler } from "./receive-loop.js";
import type { StreamHooks } from "./stream-hooks.js";

export interface AttachedSocketsOptions {
  registry: ReverseChannelRegistry;
  /** Where released ids, mcp_list_changed and stream-bound upstream messages go (the caller's GET-SSE streams). */
  streams: StreamHooks;
  /**
   * The agent_completion_notify handler, called only once the SessionTracker
   * has seen the id in this stream's chunks. Throw or reject with an Error
   * carrying a numeric `code` to answer that code (anything else: -32603).
   */
  notify: NotifyHandler;
  /**
   * The `elicitation_response` handler (the user's answer to an `elicitation`
   * chunk), called under the same SessionTracker rule as `notify`, with the
   * same error convention. Unset: the method is answered -32601.
   */
  elicitationResponse?: ElicitationResponseHandler;
  /** Reverse-channel request timeout in ms (SPEC §5). Default 30 000. */
  timeoutMs?: number;
  /** Requests in flight per channel (SPEC §10). Default 1024. */
  maxPending?: number;
  /** Response ids one socket may register (SPEC §10). Default 1024. */
  maxIdsPerSocket?: number;
  /** Ping period in ms; 0 sends no pings (then `idleTimeoutMs` must be 0). Default 15 000. */
  heartbeatMs?: number;
  /**
   * A socket that has answered none of our pings for this long is terminated;
   * 0 never. Only a pong echoing one of our pings counts: messages and the
   * peer's own pings do not. Must exceed `heartbeatMs`. Default 30 000.
   */
  idleTimeoutMs?: number;
  /** The body frame must arrive within this many ms (error 408, close 1008); 0 waits forever. Default 30 000. */
  bodyTimeoutMs?: number;
  /** Bytes buffered on a socket before `send()` waits. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Invalid frames after the body (binary, not JSON, unknown type, invalid
   * fields) a socket may send in a burst, and on average per
   * `invalidFrameWindowMs`; one more closes it (error 429, close 1008). Default 100.
   */
  maxInvalidFrames?: number;
  /** The window of `maxInvalidFrames`, in ms. Default 10 000. */
  invalidFrameWindowMs?: number;
  logger?: Logger;
}

export interface ResolvedOptions {
  registry: ReverseChannelRegistry;
  streams: StreamHooks;
  notify: NotifyHandler;
  elicitationResponse: ElicitationResponseHandler | undefined;
  timeoutMs: number;
  maxPending: number;
  maxIdsPerSocket: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  bodyTimeoutMs: number;
  highWaterMark: number;
  maxInvalidFrames: number;
  invalidFrameWindowMs: number;
  logger: Logger;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxPending: 1024,
  maxIdsPerSocket: 1024,
  heartbeatMs: 15_000,
  idleTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  highWaterMark: 1024 * 1024,
  maxInvalidFrames: 100,
  invalidFrameWindowMs: 10_000,
} as const;

function nonNegative(name: string, value: number | undefined, fallback: number, max = Infinity): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < 0 || resolved > max) {
    throw new RangeError(`${name} must be a finite number >= 0 and <= ${max}, got ${String(value)}`);
  }
  return resolved;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, max = Infinity): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1 || resolved > max) {
    throw new RangeError(`${name} must be an integer >= 1 and <= ${max}, got ${String(value)}`);
  }
  return resolved;
}

/** Only answered pings count as life: without pings, or with pings too rare, every socket would die. */
function checkHeartbeat(heartbeatMs: number, idleTimeoutMs: number): void {
  if (idleTimeoutMs > 0 && (heartbeatMs === 0 || idleTimeoutMs <= heartbeatMs)) {
    throw new RangeError(
      `idleTimeoutMs (${idleTimeoutMs}) must be 0 or greater than heartbeatMs (${heartbeatMs}), which must not be 0: only answered pings count as life`,
    );
  }
}

export function resolveOptions(options: AttachedSocketsOptions): ResolvedOptions {
  const heartbeatMs = nonNegative("heartbeatMs", options.heartbeatMs, DEFAULTS.heartbeatMs, MAX_TIMER_MS);
  const idleTimeoutMs = nonNegative("idleTimeoutMs", options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, MAX_TIMER_MS);
  checkHeartbeat(heartbeatMs, idleTimeoutMs);
  return {
    registry: options.registry,
    streams: options.streams,
    notify: options.notify,
    elicitationResponse: options.elicitationResponse,
    timeoutMs: positiveInteger("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs, MAX_TIMER_MS),
    maxPending: positiveInteger("maxPending", options.maxPending, DEFAULTS.maxPending),
    maxIdsPerSocket: positiveInteger("maxIdsPerSocket", options.maxIdsPerSocket, DEFAULTS.maxIdsPerSocket),
    heartbeatMs,
    idleTimeoutMs,
    bodyTimeoutMs: nonNegative("bodyTimeoutMs", options.bodyTimeoutMs, DEFAULTS.bodyTimeoutMs, MAX_TIMER_MS),
    highWaterMark: nonNegative("highWaterMark", options.highWaterMark, DEFAULTS.highWaterMark),
    maxInvalidFrames: positiveInteger("maxInvalidFrames", options.maxInvalidFrames, DEFAULTS.maxInvalidFrames),
    invalidFrameWindowMs: positiveInteger(
      "invalidFrameWindowMs",
      options.invalidFrameWindowMs,
      DEFAULTS.invalidFrameWindowMs,
    ),
    logger: options.logger === undefined ? silentLogger : safeLogger(options.logger),
  };
}
