import { sendResultJson } from "./json-rpc-reply.js";
import { callUpstream } from "./post-call.js";
import { receiveMessage } from "./post-envelope.js";
import { initialize } from "./post-initialize.js";
import { notify } from "./post-notify.js";
import { answerUpstream } from "./post-response.js";
import type { RouteRequest } from "./route-request.js";

/**
 * POST: one JSON-RPC message in. A request is forwarded and answered with
 * JSON, or with an event stream when the upstream sends interim messages; a
 * notification or a response (the agent's answer to an upstream request) is
 * forwarded and answered 202.
 */
export async function handlePost(request: RouteRequest): Promise<void> {
  const message = await receiveMessage(request);
  if (message === undefined) return;
  switch (message.kind) {
    case "response":
      answerUpstream(request, message);
      return;
    case "notification":
      notify(request, message);
      return;
    case "request":
      // MCP ping checks the peer the agent talks to, which is the route.
      if (message.method === "ping") sendResultJson(request.res, message.id, "{}");
      else if (message.method === "initialize") await initialize(request, message);
      else await callUpstream(request, message);
      return;
  }
}
