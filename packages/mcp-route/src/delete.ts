import type { IncomingMessage, ServerResponse } from "node:http";
import { ConduitErrorCode, SESSION_TERMINATE, type McpKind } from "@conduit/protocol";
import { ConduitError } from "@conduit/registry";
import { forward, outcomeOf, reportForwarded, startClock } from "./forward.js";
import { sendError, sendErrorObject, sendJson } from "./json-rpc-reply.js";
import type { RouteContext } from "./options.js";

/** DELETE: `session/terminate` forwarded with the request's headers (Mcp-Session-Id among them). */
export async function handleDelete(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  responseId: string,
  mcp: McpKind,
): Promise<void> {
  const started = startClock(ctx);
  const result = await forward(ctx, req, res, responseId, mcp, SESSION_TERMINATE, undefined);
  reportForwarded(ctx, SESSION_TERMINATE, mcp, responseId, started, outcomeOf(result));
  if (result instanceof ConduitError) {
    sendErrorObject(res, result.httpStatus, null, result.toWire());
  } else if ("error" in result) {
    sendError(
      res,
      502,
      null,
      ConduitErrorCode.UpstreamFailed,
      "upstream failed to terminate the session",
      result.error,
    );
  } else {
    sendJson(res, 200, "{}");
  }
}
