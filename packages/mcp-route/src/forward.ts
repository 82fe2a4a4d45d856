import type { IncomingMessage, ServerResponse } from "node:http";
import { ConduitErrorCode, JsonRpcErrorCode, type McpKind, type ServerResponseFrame } from "@conduit/protocol";
import { ConduitError, sendServerRequest } from "@conduit/registry";
import { forwardHeaders } from "./forward-headers.js";
import type { ForwardOutcome, RouteContext } from "./options.js";

/** What a forwarded request came back with: the attach client's answer, or the conduit's failure. */
export type ForwardResult = ServerResponseFrame | ConduitError;

function asConduitError(err: unknown): ConduitError {
  if (err instanceof ConduitError) return err;
  return new ConduitError(
    JsonRpcErrorCode.InternalError,
    `internal error: ${err instanceof Error ? err.message : String(err)}`,
  );
}

/**
 * Sends a server_request for `method` and waits for its answer. When `res`
 * closes before it is finished (the HTTP client went away) the request is
 * aborted, so its pending entry is removed at once. Never rejects.
 */
export async function forward(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse | undefined,
  responseId: string,
  mcp: McpKind,
  method: string,
  params: unknown,
): Promise<ForwardResult> {
  let signal: AbortSignal | undefined;
  if (res !== undefined) {
    if (req.socket.destroyed) return new ConduitError(ConduitErrorCode.ChannelClosed, "the HTTP client went away");
    const controller = new AbortController();
    signal = controller.signal;
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
  }
  try {
    return await sendServerRequest(
      ctx.registry,
      responseId,
      { mcp, method, params, headers: forwardHeaders(req) },
      { timeoutMs: ctx.timeoutMs, signal },
    );
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
  mcp: McpKind,
  responseId: string,
  started: number,
  outcome: ForwardOutcome,
): void {
  const forwarded = ctx.observer?.forwarded;
  if (forwarded === undefined) return;
  try {
    forwarded({ method, mcp, outcome, durationMs: performance.now() - started, responseId });
  } catch {
    // An observer is for metrics and logs; its failure must not fail the request.
  }
}
