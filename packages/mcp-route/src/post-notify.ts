import { CANCELLED_NOTIFICATION } from "@conduit/protocol";
import type { NotificationEnvelope } from "./envelope.js";
import { forward } from "./forward.js";
import { outcomeOf, startReport } from "./forwarded-report.js";
import { InFlightCalls } from "./in-flight-calls.js";
import { sendAccepted } from "./json-rpc-reply.js";
import { sessionIdOf, type RouteRequest } from "./route-request.js";
import { isSessionless } from "./sessionless.js";

/**
 * Notifications are fire and forget (202 at once). A cancel is not forwarded
 * as is (its requestId is in the agent's id space): it cancels the exchange it
 * names, which tells the attach client with the socket's own id.
 */
export function notify(request: RouteRequest, message: NotificationEnvelope): void {
  sendAccepted(request.res);
  if (message.method === CANCELLED_NOTIFICATION) {
    cancelCall(request, message.params);
    return;
  }
  const report = startReport(request, message.method);
  void forward(request, message.method, message.params).then((result) => report(outcomeOf(result)));
}

function cancelCall(request: RouteRequest, params: unknown): void {
  // MCP 2026-07-28 over HTTP: closing the response stream is the cancel (done already);
  // a sessionless cancel names an id that other clients of this agent may use too.
  if (isSessionless(request.req, params)) return;
  const { requestId, reason } = (params ?? {}) as { requestId?: unknown; reason?: unknown };
  if (typeof requestId !== "string" && typeof requestId !== "number") return;
  const { ctx, target } = request;
  const key = InFlightCalls.key(target.responseId, target.mcp, sessionIdOf(request), requestId);
  ctx.calls.cancel(key, typeof reason === "string" ? `the agent cancelled: ${reason}` : "the agent cancelled");
}
