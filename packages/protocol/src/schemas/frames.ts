import { z } from "zod";
import { ChunkSchema } from "./chunk.js";
import { ListKindSchema, McpKindSchema, RequestIdSchema, WireErrorSchema } from "./common.js";

// ── client → server ────────────────────────────────────────────────────────

export const ServerResponseFrameSchema = z.union([
  z.strictObject({ type: z.literal("server_response"), id: RequestIdSchema, result: z.unknown() }),
  z.strictObject({ type: z.literal("server_response"), id: RequestIdSchema, error: WireErrorSchema }),
]);

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

export const ClientRequestFrameSchema = z.discriminatedUnion("method", [
  AgentCompletionNotifyFrameSchema,
  McpListChangedFrameSchema,
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

// ── the two directions ─────────────────────────────────────────────────────

/** A frame the attach client sends after the body frame. */
export const ClientFrameSchema = z.union([ServerResponseFrameSchema, ClientRequestFrameSchema]);
/** A frame the server sends. */
export const ServerFrameSchema = z.union([
  ChunkFrameSchema,
  ServerRequestFrameSchema,
  ClientResponseFrameSchema,
  ErrorFrameSchema,
]);

export type ServerResponseFrame = z.infer<typeof ServerResponseFrameSchema>;
export type AgentCompletionNotifyFrame = z.infer<typeof AgentCompletionNotifyFrameSchema>;
export type McpListChangedFrame = z.infer<typeof McpListChangedFrameSchema>;
export type ClientRequestFrame = z.infer<typeof ClientRequestFrameSchema>;
export type ChunkFrame = z.infer<typeof ChunkFrameSchema>;
export type ServerRequestFrame = z.infer<typeof ServerRequestFrameSchema>;
export type ClientResponseFrame = z.infer<typeof ClientResponseFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
export type ClientFrame = z.infer<typeof ClientFrameSchema>;
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
export type Frame = ClientFrame | ServerFrame;
