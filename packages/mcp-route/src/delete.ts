import type { IncomingMessage, ServerResponse } from "node:http";
import { ConduitError, ConduitErrorCode, SESSION_TERMINATE, httpStatusForErrorCode } from "@conduit/protocol";
import { forward, outcomeOf, reportForwarded, startClock, type RouteTarget } from "./forward.js";
import { sendError, sendErrorObject, sendJson } from "./json-rpc-reply.js";
import type { RouteContext } from "./options.js";

/** DELETE: `session/terminate` forwarded with the request's headers (Mcp-Session-Id among them). */
export async function handleDelete(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RouteTarget,
): Promise<void> {
  const started = startClock(ctx);
  const result = await forward(ctx, req, target, SESSION_TERMINATE, undefined, { res });
  reportForwarded(ctx, SESSION_TERMINATE, target, started, outcomeOf(result));
  if (result instanceof ConduitError) {
    sendErrorObject(res, result.httpStatus, null, result.toWire());
  } else if ("error" in result) {
    if (result.conduit === true) {
      sendErrorObject(res, httpStatusForErrorCode(result.error.code), null, result.error);
      return;
    }
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
