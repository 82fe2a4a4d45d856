import type { IncomingMessage } from "node:http";
import {
  ConduitError,
  CANCELLED_NOTIFICATION,
  Header,
  declaresSessionlessRevision,
  withSubscriptionId,
  type JsonRpcMessage,
} from "@conduit/protocol";
import type { ForwardResult } from "./forward.js";

/**
 * A message of MCP 2026-07-28 or later with no Mcp-Session-Id: it belongs to
 * no session, and its cancel is the agent closing its response stream.
 */
export function isSessionless(req: IncomingMessage, params: unknown): boolean {
  if (req.headers[Header.McpSessionId] !== undefined) return false;
  const version = req.headers[Header.McpProtocolVersion];
  return declaresSessionlessRevision(typeof version === "string" ? version : undefined, params);
}

/**
 * On a `subscriptions/listen` stream the upstream names the subscription by
 * the id *it* saw (the attach client's): every `_meta` subscription id, and
 * the `requestId` of the upstream's `notifications/cancelled` that tears the
 * subscription down, become the agent's own request id. Nothing else changes.
 */
export function toAgentSubscription(message: JsonRpcMessage, agentId: string | number): JsonRpcMessage {
  const params = (message as { params?: unknown }).params;
  if (typeof params !== "object" || params === null) return message;
  let next = withSubscriptionId(params as Record<string, unknown>, agentId);
  if ((message as { method?: unknown }).method === CANCELLED_NOTIFICATION && "requestId" in next) {
    next = { ...next, requestId: agentId };
  }
  return next === params ? message : ({ ...message, params: next } as JsonRpcMessage);
}

/** The listen's final result (a graceful end) carries the subscription id too. */
export function toAgentSubscriptionResult(result: ForwardResult, agentId: string | number): ForwardResult {
  if (result instanceof ConduitError || !("result" in result)) return result;
  const value = result.result;
  if (typeof value !== "object" || value === null) return result;
  const next = withSubscriptionId(value as Record<string, unknown>, agentId);
  return next === value ? result : { ...result, result: next };
}
