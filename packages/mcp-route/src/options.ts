import type { McpKind } from "@conduit/protocol";
import type { McpListenerRegistry } from "@conduit/listeners";
import type { ReverseChannelRegistry } from "@conduit/registry";

/** How a forwarded request, notification or terminate ended. */
export type ForwardOutcome =
  "ok" | "upstream_error" | "timeout" | "channel_closed" | "no_channel" | "too_many" | "internal";

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
  sseOpened?(): void;
  sseClosed?(): void;
}

export interface McpRouteOptions {
  registry: ReverseChannelRegistry;
  listeners: McpListenerRegistry;
  /** Per forwarded request, ms (SPEC `REVERSE_CHANNEL_TIMEOUT_MS`). Default 30 000. */
  timeoutMs?: number;
  /** POST body limit in bytes; past it 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Period of the GET-SSE `: keepalive` comment, ms (0 = none). Default 15 000. */
  keepaliveMs?: number;
  observer?: McpRouteObserver;
}

export const DEFAULT_FORWARD_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SSE_KEEPALIVE_MS = 15_000;

/** The options with defaults applied, shared by every request of one route. */
export interface RouteContext {
  readonly registry: ReverseChannelRegistry;
  readonly listeners: McpListenerRegistry;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly keepaliveMs: number;
  readonly observer: McpRouteObserver | undefined;
}

// The longest delay a Node timer holds; a longer one is silently run after 1 ms instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  return {
    registry: options.registry,
    listeners: options.listeners,
    timeoutMs: checked("timeoutMs", options.timeoutMs, DEFAULT_FORWARD_TIMEOUT_MS, 1, MAX_TIMER_MS),
    maxBodyBytes: checked("maxBodyBytes", options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 0),
    keepaliveMs: checked("keepaliveMs", options.keepaliveMs, DEFAULT_SSE_KEEPALIVE_MS, 0, MAX_TIMER_MS),
    observer: options.observer,
  };
}
