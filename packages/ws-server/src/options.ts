import type { McpListenerRegistry } from "@conduit/listeners";
import type { ReverseChannelRegistry } from "@conduit/registry";
import { safeLogger, silentLogger, type ConduitLogger } from "./logger.js";
import type { NotifyHandler } from "./receive-loop.js";

export interface ConduitOptions {
  registry: ReverseChannelRegistry;
  listeners: McpListenerRegistry;
  /**
   * The agent_completion_notify handler, called only once the SessionTracker
   * has seen the id in this stream's chunks. Throw or reject with an Error
   * carrying a numeric `code` to answer that code (anything else: -32603).
   */
  notify: NotifyHandler;
  /** Reverse-channel request timeout in ms (SPEC §5). Default 30 000. */
  timeoutMs?: number;
  /** Requests in flight per channel (SPEC §10). Default 1024. */
  maxPending?: number;
  /** Response ids one socket may register (SPEC §10). Default 1024. */
  maxIdsPerSocket?: number;
  /** Ping period in ms; 0 sends no pings. Default 15 000. */
  heartbeatMs?: number;
  /** A socket silent (no pong, no message) this long is terminated; 0 never. Default 30 000. */
  idleTimeoutMs?: number;
  /** The body frame must arrive within this many ms (error 408, close 1008); 0 waits forever. Default 30 000. */
  bodyTimeoutMs?: number;
  /** Bytes buffered on a socket before `send()` waits. Default 1 MiB. */
  highWaterMark?: number;
  logger?: ConduitLogger;
}

export interface ResolvedConduitOptions {
  registry: ReverseChannelRegistry;
  listeners: McpListenerRegistry;
  notify: NotifyHandler;
  timeoutMs: number;
  maxPending: number;
  maxIdsPerSocket: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  bodyTimeoutMs: number;
  highWaterMark: number;
  logger: ConduitLogger;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxPending: 1024,
  maxIdsPerSocket: 1024,
  heartbeatMs: 15_000,
  idleTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  highWaterMark: 1024 * 1024,
} as const;

/** The longest delay a Node timer holds; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

export function resolveOptions(options: ConduitOptions): ResolvedConduitOptions {
  return {
    registry: options.registry,
    listeners: options.listeners,
    notify: options.notify,
    timeoutMs: positiveInteger("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs, MAX_TIMER_MS),
    maxPending: positiveInteger("maxPending", options.maxPending, DEFAULTS.maxPending),
    maxIdsPerSocket: positiveInteger("maxIdsPerSocket", options.maxIdsPerSocket, DEFAULTS.maxIdsPerSocket),
    heartbeatMs: nonNegative("heartbeatMs", options.heartbeatMs, DEFAULTS.heartbeatMs, MAX_TIMER_MS),
    idleTimeoutMs: nonNegative("idleTimeoutMs", options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, MAX_TIMER_MS),
    bodyTimeoutMs: nonNegative("bodyTimeoutMs", options.bodyTimeoutMs, DEFAULTS.bodyTimeoutMs, MAX_TIMER_MS),
    highWaterMark: nonNegative("highWaterMark", options.highWaterMark, DEFAULTS.highWaterMark),
    logger: options.logger === undefined ? silentLogger : safeLogger(options.logger),
  };
}
