import { ConduitErrorCode, Header, JsonRpcErrorCode } from "@conduit/protocol";
import { openSseStream } from "@conduit/listeners";
import { sendError } from "./json-rpc-reply.js";
import { ACCEPTS_SSE, acceptMask } from "./media-type.js";
import type { RouteRequest } from "./route-request.js";

/**
 * GET: the session's stream for (responseId, mcp): coalesced list_changed
 * signals and, in order, the upstream messages that belong to no request.
 */
export function handleGet(request: RouteRequest): void {
  const { ctx, req, res, target } = request;
  if ((acceptMask(req.headers.accept) & ACCEPTS_SSE) === 0) {
    sendError(res, 406, null, JsonRpcErrorCode.InvalidRequest, "Accept must allow text/event-stream");
    return;
  }
  const session = req.headers[Header.McpSessionId];
  const lastEventId = req.headers["last-event-id"];
  const stream = openSseStream(req, res, ctx.listeners, target.responseId, target.mcp, {
    keepaliveMs: ctx.keepaliveMs,
    maxQueuedMessages: ctx.maxQueuedMessages,
    ...(typeof session === "string" ? { sessionId: session } : {}),
    ...(typeof lastEventId === "string" ? { lastEventId } : {}),
  });
  if (stream === null) {
    sendError(res, 429, null, ConduitErrorCode.TooManyPending, "too many notification streams for this response id");
  }
}
