import { MAX_TIMER_MS } from "@conduit/protocol";
import type { McpKind } from "@conduit/protocol";
import type { SseStreamRegistry } from "@conduit/listeners";
import type { ReverseChannelRegistry } from "@conduit/registry";
import { InFlightCalls } from "./in-flight-calls.js";

/** How a forwarded request, notification or terminate ended. */
export type ForwardOutcome =
  "ok" | "upstream_error" | "timeout" | "channel_closed" | "no_channel" | "too_many" | "cancelled" | "internal";

export interface ForwardedEvent {
  /** The MCP method (or `session/terminate`). */
  method: string;
  mcp: McpKind;
  outcome: ForwardOutcome;
  durationMs: number;
  /** The full routing id: shorten it (protocol's `shortId`) before logging at info level. */
  responseId: string;
}

/** Hooks for metrics and logs (apps/api). Called synchronously; they must not throw. */
export interface McpRouteObserver {
  /** After every forwarded request/notification/terminate settles. */
  forwarded?(event: ForwardedEvent): void;
}

export interface McpRouteOptions {
  registry: ReverseChannelRegistry;
  listeners: SseStreamRegistry;
  /** Per forwarded request, ms of silence (SPEC `REVERSE_CHANNEL_TIMEOUT_MS`); interim messages restart it. Default 30 000. */
  timeoutMs?: number;
  /** The longest a forwarded request may last however many interim messages extend it, ms. Default 10 × timeoutMs. */
  maxTimeoutMs?: number;
  /**
   * The longest a long-lived request (`subscriptions/listen` of MCP 2026-07-28) may stay open, ms:
   * it is not cut by the silence timeout, only by this bound (then `-32003`). Default 3 600 000 (1 h).
   */
  maxListenMs?: number;
  /** Bytes an agent may leave unread on a streamed POST answer before the request is cancelled and the stream cut. Default 4 MiB. */
  maxStreamBufferBytes?: number;
  /** Upstream messages held per GET stream for a slow reader; past it the stream is ended. Default 256. */
  maxQueuedMessages?: number;
  /** POST body limit in bytes; past it 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Period of the GET-SSE `: keepalive` comment, ms (0 = none). Default 15 000. */
  keepaliveMs?: number;
  observer?: McpRouteObserver;
}

export const DEFAULT_FORWARD_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SSE_KEEPALIVE_MS = 15_000;
export const DEFAULT_MAX_STREAM_BUFFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_MESSAGES = 256;
export const DEFAULT_MAX_LISTEN_MS = 60 * 60 * 1000;

/** The options with defaults applied, shared by every request of one route. */
export interface RouteContext {
  readonly registry: ReverseChannelRegistry;
  readonly listeners: SseStreamRegistry;
  readonly timeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxListenMs: number;
  readonly maxStreamBufferBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxBodyBytes: number;
  /** The requests in flight through this route, by the agent's own ids (for cancel). */
  readonly calls: InFlightCalls;
  readonly keepaliveMs: number;
  readonly observer: McpRouteObserver | undefined;
}

function checked(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_VALUE,
): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be a finite number ${range}, got ${String(value)}`);
  }
  return value;
}

export function resolveRouteContext(options: McpRouteOptions): RouteContext {
  const timeoutMs = checked("timeoutMs", options.timeoutMs, DEFAULT_FORWARD_TIMEOUT_MS, 1, MAX_TIMER_MS);
  return {
    registry: options.registry,
    listeners: options.listeners,
    timeoutMs,
    maxTimeoutMs: checked(
      "maxTimeoutMs",
      options.maxTimeoutMs,
      Math.min(timeoutMs * 10, MAX_TIMER_MS),
      timeoutMs,
      MAX_TIMER_MS,
    ),
    maxListenMs: checked("maxListenMs", options.maxListenMs, DEFAULT_MAX_LISTEN_MS, 1, MAX_TIMER_MS),
    maxStreamBufferBytes: checked(
      "maxStreamBufferBytes",
      options.maxStreamBufferBytes,
      DEFAULT_MAX_STREAM_BUFFER_BYTES,
      1,
    ),
    maxQueuedMessages: checked("maxQueuedMessages", options.maxQueuedMessages, DEFAULT_MAX_QUEUED_MESSAGES, 1),
    calls: new InFlightCalls(),
    maxBodyBytes: checked("maxBodyBytes", options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 0),
    keepaliveMs: checked("keepaliveMs", options.keepaliveMs, DEFAULT_SSE_KEEPALIVE_MS, 0, MAX_TIMER_MS),
    observer: options.observer,
  };
}
