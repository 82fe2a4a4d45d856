import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ConduitError,
  ConduitErrorCode,
  JsonRpcErrorCode,
  type JsonRpcMessage,
  type McpKind,
  type ServerResponseFrame,
} from "@conduit/protocol";
import type { Exchange, ReverseChannel } from "@conduit/registry";
import { forwardHeaders } from "./forward-headers.js";
import type { ForwardOutcome, RouteContext } from "./options.js";

/** What a forwarded request came back with: the attach client's answer, or the conduit's failure. */
export type ForwardResult = ServerResponseFrame | ConduitError;

/** The agent and mcp one HTTP request addresses, after the route checked both. */
export interface RouteTarget {
  readonly responseId: string;
  readonly mcp: McpKind;
}

export function asConduitError(err: unknown): ConduitError {
  if (err instanceof ConduitError) return err;
  return new ConduitError(
    JsonRpcErrorCode.InternalError,
    `internal error: ${err instanceof Error ? err.message : String(err)}`,
  );
}

export interface ForwardOptions {
  /** The HTTP response whose closing (the client went away) cancels the request; none for notifications. */
  res?: ServerResponse;
  onMessage?: (message: JsonRpcMessage) => void;
  /** Called with the exchange as soon as it is open (so it can be cancelled by id). */
  onOpen?: (channel: ReverseChannel, exchange: Exchange) => void;
  /** A long-lived request (`subscriptions/listen`): bounded by `maxListenMs` instead of the silence timeout. */
  longLived?: boolean;
}

/**
 * Sends a server_request for `method` over the target's reverse channel and
 * waits for its answer. When `options.res` closes before it is finished (the
 * HTTP client went away) the request is aborted: its pending entry goes at
 * once and the attach client is told to cancel it upstream. Never rejects.
 */
export async function forward(
  ctx: RouteContext,
  req: IncomingMessage,
  target: RouteTarget,
  method: string,
  params: unknown,
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  const channel = ctx.registry.get(target.responseId);
  if (channel === undefined) {
    return new ConduitError(ConduitErrorCode.NoReverseChannel, "no reverse channel for this response id");
  }
  let signal: AbortSignal | undefined;
  const res = options.res;
  if (res !== undefined) {
    if (req.socket.destroyed) return new ConduitError(ConduitErrorCode.ChannelClosed, "the HTTP client went away");
    const controller = new AbortController();
    signal = controller.signal;
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
  }
  try {
    const timeoutMs = options.longLived === true ? ctx.maxListenMs : ctx.timeoutMs;
    const maxTimeoutMs = options.longLived === true ? ctx.maxListenMs : ctx.maxTimeoutMs;
    const exchange = channel.open(
      { mcp: target.mcp, method, params, headers: forwardHeaders(req) },
      { timeoutMs, maxTimeoutMs, signal, onMessage: options.onMessage },
    );
    options.onOpen?.(channel, exchange);
    return await exchange.answer;
  } catch (err) {
    return asConduitError(err);
  }
}

export function outcomeOfCode(code: number): ForwardOutcome {
  switch (code) {
    case ConduitErrorCode.NoReverseChannel:
      return "no_channel";
    case ConduitErrorCode.ChannelClosed:
      return "channel_closed";
    case ConduitErrorCode.Timeout:
      return "timeout";
    case ConduitErrorCode.TooManyPending:
      return "too_many";
    case ConduitErrorCode.UpstreamFailed:
      return "upstream_error";
    case ConduitErrorCode.Cancelled:
      return "cancelled";
    default:
      return "internal";
  }
}

export function outcomeOf(result: ForwardResult): ForwardOutcome {
  if (result instanceof ConduitError) return outcomeOfCode(result.code);
  return "error" in result ? "upstream_error" : "ok";
}

/** performance.now() when someone observes, 0 otherwise (the clock is not free). */
export function startClock(ctx: RouteContext): number {
  return ctx.observer?.forwarded === undefined ? 0 : performance.now();
}

export function reportForwarded(
  ctx: RouteContext,
  method: string,
  target: RouteTarget,
  started: number,
  outcome: ForwardOutcome,
): void {
  const forwarded = ctx.observer?.forwarded;
  if (forwarded === undefined) return;
  try {
    forwarded({
      method,
      mcp: target.mcp,
      outcome,
      durationMs: performance.now() - started,
      responseId: target.responseId,
    });
  } catch {
    // An observer is for metrics and logs; its failure must not fail the request.
  }
}
