import { JsonRpcErrorCode } from "@conduit/protocol";
import { parseEnvelope, type Envelope, type InvalidEnvelope } from "./envelope.js";
import { sendError, sendTooLarge } from "./json-rpc-reply.js";
import { ACCEPTS_BOTH, acceptMask, isJsonContentType } from "./media-type.js";
import { BODY_ABORTED, BODY_TOO_LARGE, readRequestBody } from "./read-body.js";
import type { RouteRequest } from "./route-request.js";

/** A POSTed message the route can act on. */
export type PostedMessage = Exclude<Envelope, InvalidEnvelope>;

/**
 * The POST's body as one JSON-RPC message, or `undefined` once the request
 * has been answered (406, 415, 413, 400 -32700 / -32600) or its client went
 * away. Checks, in order: Accept, Content-Type, size, JSON, JSON-RPC shape.
 */
export async function receiveMessage(request: RouteRequest): Promise<PostedMessage | undefined> {
  const { ctx, req, res } = request;
  if (acceptMask(req.headers.accept) !== ACCEPTS_BOTH) {
    sendError(
      res,
      406,
      null,
      JsonRpcErrorCode.InvalidRequest,
      "Accept must allow both application/json and text/event-stream",
    );
    return undefined;
  }
  if (!isJsonContentType(req.headers["content-type"])) {
    sendError(res, 415, null, JsonRpcErrorCode.InvalidRequest, "Content-Type must be application/json");
    return undefined;
  }
  const body = await readRequestBody(req, ctx.maxBodyBytes);
  if (body === BODY_TOO_LARGE) {
    sendTooLarge(res, ctx.maxBodyBytes);
    return undefined;
  }
  if (body === BODY_ABORTED) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    sendError(res, 400, null, JsonRpcErrorCode.ParseError, "parse error: the body is not valid JSON");
    return undefined;
  }
  const envelope = parseEnvelope(parsed);
  if (envelope.kind === "invalid") {
    sendError(res, 400, envelope.id, JsonRpcErrorCode.InvalidRequest, envelope.reason);
    return undefined;
  }
  return envelope;
}
