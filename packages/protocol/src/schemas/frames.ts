import { z } from "zod";
import { ChunkSchema } from "./chunk.js";
import { ListKindSchema, McpKindSchema, RequestIdSchema, WireErrorSchema } from "./common.js";
import { ElicitationContentSchema } from "./elicitation.js";

/**
 * One JSON-RPC 2.0 message (request, notification or response) as an MCP peer
 * sent it. Only `jsonrpc` is checked here: the relay passes messages through
 * untouched and each end checks what it needs.
 */
export const JsonRpcMessageSchema = z.looseObject({ jsonrpc: z.literal("2.0") });

// ── client → server ────────────────────────────────────────────────────────

/**
 * `conduit: true` (v2) marks an error the attach client raised itself (unknown
 * session, upstream failed, mcp not declared…), as opposed to an upstream
 * MCP server's own JSON-RPC error: the route maps the former to its HTTP status.
 */
export const ServerResponseFrameSchema = z.union([
  z.strictObject({ type: z.literal("server_response"), id: RequestIdSchema, result: z.unknown() }),
  z.strictObject({
    type: z.literal("server_response"),
    id: RequestIdSchema,
    error: WireErrorSchema,
    conduit: z.literal(true).optional(),
  }),
]);

/**
 * v2: a message the upstream sent that belongs to a forwarded request (`id`:
 * the server_request's id — progress, logging, sampling/elicitation/roots
 * requests, task status) or to no request (`response_id`: the agent whose
 * session it is; `session_id`: that session's Mcp-Session-Id).
 * An upstream request inside carries an id minted by the attach client, unique
 * per socket; the agent's answer comes back in an `agent_message`.
 */
export const UpstreamMessageFrameSchema = z.strictObject({
  type: z.literal("upstream_message"),
  id: RequestIdSchema.optional(),
  mcp: McpKindSchema,
  response_id: z.string().min(1).max(256).optional(),
  session_id: z.string().min(1).max(4096).optional(),
  message: JsonRpcMessageSchema,
});

export const NotifyContentSchema = z.string();

export const AgentCompletionNotifyFrameSchema = z.strictObject({
  type: z.literal("client_request"),
  id: RequestIdSchema,
  method: z.literal("agent_completion_notify"),
  params: z.object({ response_id: z.string().min(1), content: NotifyContentSchema }),
});

export const McpListChangedFrameSchema = z.strictObject({
  type: z.literal("client_request"),
  id: RequestIdSchema,
  method: z.literal("mcp_list_changed"),
  params: z.object({ mcp: McpKindSchema, list: ListKindSchema }),
});

const ElicitationTargetShape = {
  response_id: z.string().min(1).max(256),
  elicitation_id: z.string().min(1).max(256),
};

/**
 * The user's answer to an `elicitation` chunk. `content` only with `accept`; its size is
 * bounded by the WebSocket frame limit. Answered ok, 404 (the response_id is not in this
 * stream's chunks, or the elicitation is not one of that agent's), 409 (already settled, or
 * the agent finished).
 */
export const ElicitationResponseFrameSchema = z.strictObject({
  type: z.literal("client_request"),
  id: RequestIdSchema,
  method: z.literal("elicitation_response"),
  params: z.union([
    z.strictObject({
      ...ElicitationTargetShape,
      action: z.literal("accept"),
      content: ElicitationContentSchema.optional(),
    }),
    z.strictObject({ ...ElicitationTargetShape, action: z.enum(["decline", "cancel"]) }),
  ]),
});

export const ClientRequestFrameSchema = z.discriminatedUnion("method", [
  AgentCompletionNotifyFrameSchema,
  McpListChangedFrameSchema,
  ElicitationResponseFrameSchema,
]);

// ── server → client ────────────────────────────────────────────────────────

export const ChunkFrameSchema = z.strictObject({ type: z.literal("chunk"), data: ChunkSchema });

export const ServerRequestFrameSchema = z.strictObject({
  type: z.literal("server_request"),
  id: RequestIdSchema,
  mcp: McpKindSchema,
  method: z.string().min(1),
  params: z.unknown().optional(),
  headers: z.record(z.string(), z.string()),
});

export const ClientResponseFrameSchema = z.union([
  z.strictObject({ type: z.literal("client_response"), id: RequestIdSchema, ok: z.literal(true) }),
  z.strictObject({
    type: z.literal("client_response"),
    id: RequestIdSchema,
    ok: z.literal(false),
    error: WireErrorSchema,
  }),
]);

export const ErrorFrameSchema = z.strictObject({ type: z.literal("error"), error: WireErrorSchema });

/**
 * v2: the agent's JSON-RPC response to an upstream request relayed to it; its
 * `id` is the one the attach client minted. `headers` as on server_request.
 */
export const AgentMessageFrameSchema = z.strictObject({
  type: z.literal("agent_message"),
  mcp: McpKindSchema,
  headers: z.record(z.string(), z.string()),
  message: JsonRpcMessageSchema,
});

/**
 * v2: the server_request `id` is cancelled (the agent sent notifications/cancelled
 * or went away). The attach client tells the upstream with its own request id
 * and answers nothing more for it.
 */
export const CancelFrameSchema = z.strictObject({
  type: z.literal("cancel"),
  id: RequestIdSchema,
  reason: z.string().max(1024).optional(),
});

// ── the two directions ─────────────────────────────────────────────────────

/** A frame the attach client sends after the body frame. */
export const ClientFrameSchema = z.union([
  ServerResponseFrameSchema,
  ClientRequestFrameSchema,
  UpstreamMessageFrameSchema,
]);
/** A frame the server sends. */
export const ServerFrameSchema = z.union([
  ChunkFrameSchema,
  ServerRequestFrameSchema,
  ClientResponseFrameSchema,
  ErrorFrameSchema,
  AgentMessageFrameSchema,
  CancelFrameSchema,
]);

export type JsonRpcMessage = z.infer<typeof JsonRpcMessageSchema>;
export type ServerResponseFrame = z.infer<typeof ServerResponseFrameSchema>;
export type UpstreamMessageFrame = z.infer<typeof UpstreamMessageFrameSchema>;
export type AgentMessageFrame = z.infer<typeof AgentMessageFrameSchema>;
export type CancelFrame = z.infer<typeof CancelFrameSchema>;
export type AgentCompletionNotifyFrame = z.infer<typeof AgentCompletionNotifyFrameSchema>;
export type McpListChangedFrame = z.infer<typeof McpListChangedFrameSchema>;
export type ElicitationResponseFrame = z.infer<typeof ElicitationResponseFrameSchema>;
export type ClientRequestFrame = z.infer<typeof ClientRequestFrameSchema>;
export type ChunkFrame = z.infer<typeof ChunkFrameSchema>;
export type ServerRequestFrame = z.infer<typeof ServerRequestFrameSchema>;
export type ClientResponseFrame = z.infer<typeof ClientResponseFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
export type ClientFrame = z.infer<typeof ClientFrameSchema>;
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
export type Frame = ClientFrame | ServerFrame;
