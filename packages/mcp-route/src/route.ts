import type { IncomingMessage, ServerResponse } from "node:http";
import { ConduitErrorCode, Header, JsonRpcErrorCode, mcpKindFromPath } from "@conduit/protocol";
import { handleDelete } from "./delete.js";
import { handleGet } from "./get.js";
import { sendError, sendInternal } from "./json-rpc-reply.js";
import { isLoopbackHost, isLoopbackOrigin } from "./loopback.js";
import { resolveRouteContext, type McpRouteOptions, type RouteContext } from "./options.js";
import { handlePost } from "./post.js";
import type { RouteRequest } from "./route-request.js";

export type McpRouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

const ALLOW = "GET, POST, DELETE";

/**
 * The loopback Streamable HTTP MCP route as a plain node:http handler. It
 * answers every request it is given: POST/GET/DELETE on `/objectiveai` and
 * `/{owner}/{name}/{version}/{mcp}`, 404 for any other path.
 */
export function createMcpRoute(options: McpRouteOptions): McpRouteHandler {
  const ctx = resolveRouteContext(options);
  return function mcpRoute(req, res) {
    try {
      route(ctx, req, res);
    } catch (err) {
      sendInternal(res, err);
    }
  };
}

function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const headers = req.headers;
  // DNS-rebinding guard, before anything else.
  if (!isLoopbackHost(headers.host)) {
    sendError(res, 403, null, JsonRpcErrorCode.InvalidRequest, "forbidden: Host must be a loopback name or address");
    return;
  }
  const origin = headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    sendError(res, 403, null, JsonRpcErrorCode.InvalidRequest, "forbidden: Origin must be loopback");
    return;
  }

  const url = req.url ?? "";
  const query = url.indexOf("?");
  const kind = mcpKindFromPath(query === -1 ? url : url.slice(0, query));
  if (!kind.ok) {
    sendError(
      res,
      404,
      null,
      JsonRpcErrorCode.InvalidRequest,
      "not found: the MCP paths are /objectiveai and /{owner}/{name}/{version}/{mcp}",
    );
    return;
  }
  const method = req.method;
  if (method !== "POST" && method !== "GET" && method !== "DELETE") {
    res.setHeader("Allow", ALLOW);
    sendError(res, 405, null, JsonRpcErrorCode.InvalidRequest, `method not allowed: use ${ALLOW}`);
    return;
  }

  const responseId = headers[Header.ResponseId];
  if (typeof responseId !== "string" || responseId.length === 0) {
    sendError(res, 400, null, JsonRpcErrorCode.InvalidRequest, "missing X-OBJECTIVEAI-RESPONSE-ID header");
    return;
  }
  // The id is a capability: it is never echoed back.
  const channel = ctx.registry.get(responseId);
  if (channel === undefined) {
    sendError(res, 404, null, ConduitErrorCode.NoReverseChannel, "no reverse channel for this response id");
    return;
  }
  // Only the mcps the stream's request declared are reachable (the attach client checks too).
  if (!channel.allows(kind.kind)) {
    sendError(res, 404, null, ConduitErrorCode.NoReverseChannel, "this mcp is not declared by the request");
    return;
  }

  const request: RouteRequest = { ctx, req, res, target: { responseId, mcp: kind.kind } };
  if (method === "GET") {
    handleGet(request);
    return;
  }
  const handled = method === "POST" ? handlePost(request) : handleDelete(request);
  handled.catch((err: unknown) => sendInternal(res, err));
}
