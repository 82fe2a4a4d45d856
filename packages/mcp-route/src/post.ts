import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ConduitError,
  CANCELLED_NOTIFICATION,
  ConduitErrorCode,
  Header,
  JsonRpcErrorCode,
  decodeArgumentsHeader,
  isInitializeServerResponseResult,
  isLongLivedMethod,
  jsonRpcRequestId,
  type JsonRpcMessage,
} from "@conduit/protocol";
import { CallReply } from "./call-reply.js";
import { parseEnvelope } from "./envelope.js";
import { forward, outcomeOf, reportForwarded, startClock, type RouteTarget } from "./forward.js";
import { forwardHeaders } from "./forward-headers.js";
import { InFlightCalls } from "./in-flight-calls.js";
import { sendAccepted, sendError, sendErrorObject, sendResultJson, sendTooLarge } from "./json-rpc-reply.js";
import { ACCEPTS_BOTH, acceptMask, isJsonContentType } from "./media-type.js";
import type { RouteContext } from "./options.js";
import { ABORTED, TOO_LARGE, readBody } from "./read-body.js";
import { isSessionless, toAgentSubscription, toAgentSubscriptionResult } from "./sessionless.js";

// Mcp-Session-Id must be visible ASCII (MCP Streamable HTTP); anything else could not be a header anyway.
// Capped so it fits the 16 KiB header limit of Node and undici, both in this reply and when the
// client echoes it on every request next to its other headers; past that the client only sees "fetch failed".
const SESSION_ID = /^[\x21-\x7E]{1,4096}$/;

/**
 * POST: one JSON-RPC message in. A request is forwarded and answered with
 * JSON, or with an event stream when the upstream sends interim messages; a
 * notification or a response (the agent's answer to an upstream request) is
 * forwarded and answered 202.
 */
export async function handlePost(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
): Promise<void> {
  const headers = req.headers;
  if (acceptMask(headers.accept) !== ACCEPTS_BOTH) {
    sendError(
      res,
      406,
      null,
      JsonRpcErrorCode.InvalidRequest,
      "Accept must allow both application/json and text/event-stream",
    );
    return;
  }
  if (!isJsonContentType(headers["content-type"])) {
    sendError(res, 415, null, JsonRpcErrorCode.InvalidRequest, "Content-Type must be application/json");
    return;
  }
  const declared = headers["content-length"];
  if (declared !== undefined && Number(declared) > ctx.maxBodyBytes) {
    sendTooLarge(res, ctx.maxBodyBytes);
    return;
  }
  const body = await readBody(req, ctx.maxBodyBytes);
  if (body === TOO_LARGE) {
    sendTooLarge(res, ctx.maxBodyBytes);
    return;
  }
  if (body === ABORTED) return;

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    sendError(res, 400, null, JsonRpcErrorCode.ParseError, "parse error: the body is not valid JSON");
    return;
  }
  const envelope = parseEnvelope(parsed);
  switch (envelope.kind) {
    case "invalid":
      sendError(res, 400, envelope.id, JsonRpcErrorCode.InvalidRequest, envelope.reason);
      return;
    case "response":
      answerUpstream(ctx, req, res, target, envelope.id, envelope.message);
      return;
    case "notification":
      notify(ctx, req, res, target, envelope.method, envelope.params);
      return;
    case "request":
      if (envelope.method === "ping") sendResultJson(res, envelope.id, "{}");
      else if (envelope.method === "initialize") await initialize(ctx, req, res, target, envelope.id, envelope.params);
      else await call(ctx, req, res, target, envelope.id, envelope.method, envelope.params);
      return;
  }
}

function sessionIdOf(req: IncomingMessage): string | undefined {
  const value = req.headers[Header.McpSessionId];
  return typeof value === "string" ? value : undefined;
}

/**
 * A request forwarded as one exchange: interim messages stream on this POST's
 * answer, upstream requests among them are recorded so the agent's answer can
 * find its way back, and the agent-side id is kept so a cancel can find it.
 */
async function call(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
  id: string | number,
  method: string,
  params: unknown,
): Promise<void> {
  const started = startClock(ctx);
  const key = InFlightCalls.key(target.responseId, target.mcp, sessionIdOf(req), id);
  // A sessionless (2026-07-28) request is cancelled by closing its stream, never by a
  // notification: its agent-side id is not unique without a session, so it is not indexed.
  const indexed = !isSessionless(req, params);
  const longLived = isLongLivedMethod(method);
  let exchangeId = 0;
  let abandon: (() => void) | undefined;
  const reply = new CallReply(res, id, ctx.maxStreamBufferBytes, () => abandon?.(), longLived ? ctx.keepaliveMs : 0);
  const result = await forward(ctx, req, target, method, params, {
    res,
    longLived,
    onOpen: (channel, exchange) => {
      exchangeId = exchange.id;
      abandon = () => channel.cancel(exchange.id, "the agent does not read its stream");
      if (indexed) ctx.calls.add(key, channel, exchange.id);
    },
    onMessage: (message) => {
      recordUpstreamRequest(ctx, target, message);
      reply.interim(longLived ? toAgentSubscription(message, id) : message);
    },
  });
  if (indexed) ctx.calls.remove(key, exchangeId);
  reportForwarded(ctx, method, target, started, outcomeOf(result));
  reply.final(longLived ? toAgentSubscriptionResult(result, id) : result);
}

/** An upstream request inside a relayed stream may be answered only by this agent, on this mcp. */
function recordUpstreamRequest(ctx: RouteContext, target: RouteTarget, message: JsonRpcMessage): void {
  const requestId = jsonRpcRequestId(message);
  if (requestId === undefined) return;
  ctx.registry.get(target.responseId)?.relayed.add(requestId, { responseId: target.responseId, mcp: target.mcp });
}

/** The agent's JSON-RPC response to an upstream request that was relayed to it. */
function answerUpstream(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
  id: string | number,
  message: JsonRpcMessage,
): void {
  const channel = ctx.registry.get(target.responseId);
  if (channel === undefined || channel.relayed.take(id, target.responseId, target.mcp) === undefined) {
    sendError(
      res,
      400,
      null,
      JsonRpcErrorCode.InvalidRequest,
      "invalid request: no upstream request with that id is waiting for this agent's answer",
    );
    return;
  }
  if (!channel.sendAgentMessage(target.mcp, forwardHeaders(req), message)) {
    sendError(res, 503, null, ConduitErrorCode.ChannelClosed, "reverse channel closed before the answer was sent");
    return;
  }
  reportForwarded(ctx, "response", target, startClock(ctx), "ok");
  sendAccepted(res);
}

/**
 * Notifications are fire and forget (202 at once). A cancel is not forwarded
 * as is (its requestId is in the agent's id space): it cancels the exchange it
 * names, which tells the attach client with the socket's own id.
 */
function notify(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
  method: string,
  params: unknown,
): void {
  sendAccepted(res);
  if (method === CANCELLED_NOTIFICATION) {
    // MCP 2026-07-28 over HTTP: closing the response stream is the cancel (done already);
    // a sessionless cancel names an id that other clients of this agent may use too.
    if (isSessionless(req, params)) return;
    const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    const reason = (params as { reason?: unknown }).reason;
    const key = InFlightCalls.key(target.responseId, target.mcp, sessionIdOf(req), requestId);
    ctx.calls.cancel(key, typeof reason === "string" ? `the agent cancelled: ${reason}` : "the agent cancelled");
    return;
  }
  const started = startClock(ctx);
  void forward(ctx, req, target, method, params).then((result) =>
    reportForwarded(ctx, method, target, started, outcomeOf(result)),
  );
}

async function initialize(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
  id: string | number,
  params: unknown,
): Promise<void> {
  if (params === undefined) {
    sendError(res, 400, id, JsonRpcErrorCode.InvalidParams, "invalid params: initialize requires params");
    return;
  }
  const started = startClock(ctx);
  const forwarded = {
    arguments: decodeArgumentsHeader(req.headers[Header.Arguments]),
    initialize: params,
  };
  // The session id header must be on the answer's head, so initialize is never streamed.
  const result = await forward(ctx, req, target, "initialize", forwarded, { res });
  if (result instanceof ConduitError || "error" in result) {
    reportForwarded(ctx, "initialize", target, started, outcomeOf(result));
    new CallReply(res, id, ctx.maxStreamBufferBytes, () => undefined).final(result);
    return;
  }
  const answer = result.result;
  if (!isInitializeServerResponseResult(answer) || !SESSION_ID.test(answer.mcp_session_id)) {
    reportForwarded(ctx, "initialize", target, started, "upstream_error");
    sendErrorObject(res, 502, id, {
      code: ConduitErrorCode.UpstreamFailed,
      message:
        "upstream failed: the initialize answer must be {result: InitializeResult, mcp_session_id: visible-ASCII string of at most 4096 characters}",
    });
    return;
  }
  reportForwarded(ctx, "initialize", target, started, "ok");
  sendResultJson(res, id, JSON.stringify(answer.result), answer.mcp_session_id);
}
