import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ConduitErrorCode,
  FORWARDED_MCP_METHODS,
  Header,
  JsonRpcErrorCode,
  decodeArgumentsHeader,
  isInitializeServerResponseResult,
  type McpKind,
} from "@conduit/protocol";
import { ConduitError } from "@conduit/registry";
import { forward, outcomeOf, reportForwarded, startClock, type ForwardResult } from "./forward.js";
import {
  sendAccepted,
  sendError,
  sendErrorObject,
  sendResultJson,
  sendTooLarge,
  type JsonRpcId,
} from "./json-rpc-reply.js";
import { ACCEPTS_BOTH, acceptMask, isJsonContentType } from "./media-type.js";
import type { RouteContext } from "./options.js";
import { ABORTED, TOO_LARGE, readBody } from "./read-body.js";

// Mcp-Session-Id must be visible ASCII (MCP Streamable HTTP); anything else could not be a header anyway.
// Capped so it fits the 16 KiB header limit of Node and undici, both in this reply and when the
// client echoes it on every request next to its other headers; past that the client only sees "fetch failed".
const SESSION_ID = /^[\x21-\x7E]{1,4096}$/;

/** POST: one JSON-RPC message in, one JSON reply (or 202) out. */
export async function handlePost(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  responseId: string,
  mcp: McpKind,
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

  let message: unknown;
  try {
    message = JSON.parse(body.toString("utf8"));
  } catch {
    sendError(res, 400, null, JsonRpcErrorCode.ParseError, "parse error: the body is not valid JSON");
    return;
  }
  await dispatch(ctx, req, res, responseId, mcp, message);
}

function invalid(res: ServerResponse, id: JsonRpcId, message: string): void {
  sendError(res, 400, id, JsonRpcErrorCode.InvalidRequest, message);
}

async function dispatch(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  responseId: string,
  mcp: McpKind,
  message: unknown,
): Promise<void> {
  if (typeof message !== "object" || message === null) {
    invalid(res, null, "invalid request: a JSON-RPC message must be an object");
    return;
  }
  if (Array.isArray(message)) {
    invalid(res, null, "invalid request: JSON-RPC batches are not supported; send one message per POST");
    return;
  }
  const m = message as Record<string, unknown>;
  const rawId = m.id;
  const id: JsonRpcId = typeof rawId === "string" || typeof rawId === "number" ? rawId : null;
  if (m.jsonrpc !== "2.0") {
    invalid(res, id, 'invalid request: "jsonrpc" must be "2.0"');
    return;
  }
  const method = m.method;
  if (method === undefined) {
    // A response to a server-initiated request: the route never sends any, so there is nothing to route it to.
    if (rawId !== undefined && (m.result !== undefined || m.error !== undefined)) sendAccepted(res);
    else invalid(res, id, 'invalid request: "method" is missing');
    return;
  }
  if (typeof method !== "string" || method.length === 0) {
    invalid(res, id, 'invalid request: "method" must be a non-empty string');
    return;
  }
  const params = m.params;
  if (params !== undefined && (typeof params !== "object" || params === null)) {
    invalid(res, id, 'invalid request: "params" must be an object or an array');
    return;
  }
  if (rawId === undefined) {
    notify(ctx, req, responseId, mcp, method, params);
    sendAccepted(res);
    return;
  }
  if (id === null) {
    invalid(res, null, 'invalid request: "id" must be a string or a number');
    return;
  }

  if (method === "ping") {
    sendResultJson(res, id, "{}");
  } else if (method === "initialize") {
    await initialize(ctx, req, res, responseId, mcp, id, params);
  } else if (FORWARDED_MCP_METHODS.has(method)) {
    const started = startClock(ctx);
    const result = await forward(ctx, req, res, responseId, mcp, method, params);
    reportForwarded(ctx, method, mcp, responseId, started, outcomeOf(result));
    reply(res, id, result);
  } else {
    sendError(res, 200, id, JsonRpcErrorCode.MethodNotFound, `method not found: ${method.slice(0, 100)}`);
  }
}

/** Fire and forget: the pending entry still settles (answer or timeout) and is reported. */
function notify(
  ctx: RouteContext,
  req: IncomingMessage,
  responseId: string,
  mcp: McpKind,
  method: string,
  params: unknown,
): void {
  const started = startClock(ctx);
  void forward(ctx, req, undefined, responseId, mcp, method, params).then((result) =>
    reportForwarded(ctx, method, mcp, responseId, started, outcomeOf(result)),
  );
}

function reply(res: ServerResponse, id: JsonRpcId, result: ForwardResult): void {
  if (result instanceof ConduitError) {
    sendErrorObject(res, result.httpStatus, id, result.toWire());
  } else if ("error" in result) {
    // The upstream's own JSON-RPC error, unchanged, inside a successful HTTP exchange.
    sendErrorObject(res, 200, id, result.error);
  } else if (result.result === undefined) {
    sendError(res, 502, id, ConduitErrorCode.UpstreamFailed, "upstream answer carried no result");
  } else {
    sendResultJson(res, id, JSON.stringify(result.result));
  }
}

async function initialize(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  responseId: string,
  mcp: McpKind,
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
  const result = await forward(ctx, req, res, responseId, mcp, "initialize", forwarded);
  if (result instanceof ConduitError || "error" in result) {
    reportForwarded(ctx, "initialize", mcp, responseId, started, outcomeOf(result));
    reply(res, id, result);
    return;
  }
  const answer = result.result;
  if (!isInitializeServerResponseResult(answer) || !SESSION_ID.test(answer.mcp_session_id)) {
    reportForwarded(ctx, "initialize", mcp, responseId, started, "upstream_error");
    sendError(
      res,
      502,
      id,
      ConduitErrorCode.UpstreamFailed,
      "upstream failed: the initialize answer must be {result: InitializeResult, mcp_session_id: visible-ASCII string of at most 4096 characters}",
    );
    return;
  }
  reportForwarded(ctx, "initialize", mcp, responseId, started, "ok");
  sendResultJson(res, id, JSON.stringify(answer.result), answer.mcp_session_id);
}
