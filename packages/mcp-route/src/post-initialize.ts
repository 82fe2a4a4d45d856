import {
  ConduitError,
  ConduitErrorCode,
  Header,
  JsonRpcErrorCode,
  decodeArgumentsHeader,
  isInitializeServerResponseResult,
} from "@conduit/protocol";
import { CallReply } from "./call-reply.js";
import type { RequestEnvelope } from "./envelope.js";
import { forward } from "./forward.js";
import { outcomeOf, startReport } from "./forwarded-report.js";
import { sendError, sendErrorObject, sendResultJson } from "./json-rpc-reply.js";
import type { RouteRequest } from "./route-request.js";

// Mcp-Session-Id must be visible ASCII (MCP Streamable HTTP); anything else could not be a header anyway.
// Capped so it fits the 16 KiB header limit of Node and undici, both in this reply and when the
// client echoes it on every request next to its other headers; past that the client only sees "fetch failed".
const SESSION_ID = /^[\x21-\x7E]{1,4096}$/;

/**
 * `initialize`, forwarded with the decoded `X-OBJECTIVEAI-ARGUMENTS`; the
 * upstream's InitializeResult goes back verbatim with its `Mcp-Session-Id`.
 * Never streamed: the session id header must be on the answer's head.
 */
export async function initialize(request: RouteRequest, message: RequestEnvelope): Promise<void> {
  const { ctx, req, res } = request;
  const { id, params } = message;
  if (params === undefined) {
    sendError(res, 400, id, JsonRpcErrorCode.InvalidParams, "invalid params: initialize requires params");
    return;
  }
  const report = startReport(request, "initialize");
  const forwarded = { arguments: decodeArgumentsHeader(req.headers[Header.Arguments]), initialize: params };
  const result = await forward(request, "initialize", forwarded, { cancelOnClose: true });
  if (result instanceof ConduitError || "error" in result) {
    report(outcomeOf(result));
    new CallReply(res, id, ctx.maxStreamBufferBytes, () => undefined).final(result);
    return;
  }
  const answer = result.result;
  if (!isInitializeServerResponseResult(answer) || !SESSION_ID.test(answer.mcp_session_id)) {
    report("upstream_error");
    sendErrorObject(res, 502, id, {
      code: ConduitErrorCode.UpstreamFailed,
      message:
        "upstream failed: the initialize answer must be {result: InitializeResult, mcp_session_id: visible-ASCII string of at most 4096 characters}",
    });
    return;
  }
  report("ok");
  sendResultJson(res, id, JSON.stringify(answer.result), answer.mcp_session_id);
}
