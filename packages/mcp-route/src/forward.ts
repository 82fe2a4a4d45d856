import {
  ConduitError,
  ConduitErrorCode,
  JsonRpcErrorCode,
  type JsonRpcMessage,
  errorMessage,
  type ServerResponseFrame,
} from "@conduit/protocol";
import type { Exchange, ReverseChannel } from "@conduit/registry";
import { forwardHeaders } from "./forward-headers.js";
import type { RouteRequest } from "./route-request.js";

/** What a forwarded request came back with: the attach client's answer, or the conduit's failure. */
export type ForwardResult = ServerResponseFrame | ConduitError;

function asConduitError(err: unknown): ConduitError {
  if (err instanceof ConduitError) return err;
  return new ConduitError(JsonRpcErrorCode.InternalError, `internal error: ${errorMessage(err)}`);
}

export interface ForwardOptions {
  /** Cancel the request when the HTTP response closes first (the client went away); not for notifications. */
  cancelOnClose?: boolean;
  onMessage?: (message: JsonRpcMessage) => void;
  /** Called with the exchange as soon as it is open (so it can be cancelled by id). */
  onOpen?: (channel: ReverseChannel, exchange: Exchange) => void;
  /** A long-lived request (`subscriptions/listen`): bounded by `maxListenMs` instead of the silence timeout. */
  longLived?: boolean;
}

/**
 * Sends a server_request for `method` over the target's reverse channel and
 * waits for its answer. With `cancelOnClose`, the response closing before it
 * is finished (the HTTP client went away) aborts the request: its pending
 * entry goes at once and the attach client is told to cancel it upstream.
 * Never rejects.
 */
export async function forward(
  request: RouteRequest,
  method: string,
  params: unknown,
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  const { ctx, req, res, target } = request;
  const channel = ctx.registry.get(target.responseId);
  if (channel === undefined) {
    return new ConduitError(ConduitErrorCode.NoReverseChannel, "no reverse channel for this response id");
  }
  let signal: AbortSignal | undefined;
  if (options.cancelOnClose === true) {
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
