import { ConduitErrorCode, JsonRpcErrorCode } from "@conduit/protocol";
import type { ResponseEnvelope } from "./envelope.js";
import { forwardHeaders } from "./forward-headers.js";
import { startReport } from "./forwarded-report.js";
import { sendAccepted, sendError } from "./json-rpc-reply.js";
import type { RouteRequest } from "./route-request.js";

/** The agent's JSON-RPC response to an upstream request that was relayed to it: 202, or 400 when none waits. */
export function answerUpstream(request: RouteRequest, message: ResponseEnvelope): void {
  const { ctx, req, res, target } = request;
  const channel = ctx.registry.get(target.responseId);
  if (channel === undefined || channel.relayed.take(message.id, target.responseId, target.mcp) === undefined) {
    sendError(
      res,
      400,
      null,
      JsonRpcErrorCode.InvalidRequest,
      "invalid request: no upstream request with that id is waiting for this agent's answer",
    );
    return;
  }
  if (!channel.sendAgentMessage(target.mcp, forwardHeaders(req), message.message)) {
    sendError(res, 503, null, ConduitErrorCode.ChannelClosed, "reverse channel closed before the answer was sent");
    return;
  }
  startReport(request, "response")("ok");
  sendAccepted(res);
}
