import { ConduitError, ConduitErrorCode, SESSION_TERMINATE, httpStatusForErrorCode } from "@conduit/protocol";
import { forward } from "./forward.js";
import { outcomeOf, startReport } from "./forwarded-report.js";
import { sendError, sendErrorObject, sendJson } from "./json-rpc-reply.js";
import type { RouteRequest } from "./route-request.js";

/** DELETE: `session/terminate` forwarded with the request's headers (Mcp-Session-Id among them). */
export async function handleDelete(request: RouteRequest): Promise<void> {
  const { res } = request;
  const report = startReport(request, SESSION_TERMINATE);
  const result = await forward(request, SESSION_TERMINATE, undefined, { cancelOnClose: true });
  report(outcomeOf(result));
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
