import { isLongLivedMethod, jsonRpcRequestId, type JsonRpcMessage } from "@conduit/protocol";
import { CallReply } from "./call-reply.js";
import type { RequestEnvelope } from "./envelope.js";
import { forward } from "./forward.js";
import { outcomeOf, startReport } from "./forwarded-report.js";
import { InFlightCalls } from "./in-flight-calls.js";
import { sessionIdOf, type RouteRequest } from "./route-request.js";
import { isSessionless, toAgentSubscription, toAgentSubscriptionResult } from "./sessionless.js";

/**
 * A request forwarded as one exchange: interim messages stream on this POST's
 * answer, upstream requests among them are recorded so the agent's answer can
 * find its way back, and the agent-side id is kept so a cancel can find it.
 */
export async function callUpstream(request: RouteRequest, message: RequestEnvelope): Promise<void> {
  const { ctx, req, res, target } = request;
  const { id, method, params } = message;
  const report = startReport(request, method);
  const key = InFlightCalls.key(target.responseId, target.mcp, sessionIdOf(request), id);
  // A sessionless (2026-07-28) request is cancelled by closing its stream, never by a
  // notification: its agent-side id is not unique without a session, so it is not indexed.
  const indexed = !isSessionless(req, params);
  const longLived = isLongLivedMethod(method);
  let exchangeId = 0;
  let abandon: (() => void) | undefined;
  const reply = new CallReply(res, id, ctx.maxStreamBufferBytes, () => abandon?.(), longLived ? ctx.keepaliveMs : 0);
  const result = await forward(request, method, params, {
    cancelOnClose: true,
    longLived,
    onOpen: (channel, exchange) => {
      exchangeId = exchange.id;
      abandon = () => channel.cancel(exchange.id, "the agent does not read its stream");
      if (indexed) ctx.calls.add(key, channel, exchange.id);
    },
    onMessage: (upstreamMessage) => {
      recordUpstreamRequest(request, upstreamMessage);
      reply.interim(longLived ? toAgentSubscription(upstreamMessage, id) : upstreamMessage);
    },
  });
  if (indexed) ctx.calls.remove(key, exchangeId);
  report(outcomeOf(result));
  reply.final(longLived ? toAgentSubscriptionResult(result, id) : result);
}

/** An upstream request inside a relayed stream may be answered only by this agent, on this mcp. */
function recordUpstreamRequest({ ctx, target }: RouteRequest, message: JsonRpcMessage): void {
  const requestId = jsonRpcRequestId(message);
  if (requestId === undefined) return;
  ctx.registry.get(target.responseId)?.relayed.add(requestId, { responseId: target.responseId, mcp: target.mcp });
}
