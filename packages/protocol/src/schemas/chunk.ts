import { z } from "zod";
import { McpKindSchema } from "./common.js";
import { ElicitationActionSchema, ElicitationModeSchema, ElicitationSourceSchema } from "./elicitation.js";

export const FinishReasonSchema = z.enum(["stop", "max_turns", "error", "cancelled"]);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const UsageSchema = z.looseObject({
  prompt_tokens: z.int().nonnegative(),
  completion_tokens: z.int().nonnegative(),
  total_tokens: z.int().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const ToolCallSchema = z.object({
  id: z.string(),
  mcp: McpKindSchema,
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});

export const ToolResultSchema = z.object({
  tool_call_id: z.string(),
  content: z.array(z.unknown()),
  is_error: z.boolean(),
});

/** Progress of a tool call in flight: an MCP `notifications/progress` of its `tools/call`. */
export const ToolProgressSchema = z.object({
  tool_call_id: z.string(),
  progress: z.number(),
  total: z.number().optional(),
  message: z.string().optional(),
});

/**
 * An MCP `elicitation/create` addressed to the human: answer it with the
 * `elicitation_response` client_request naming `id`. `requested_schema` comes
 * with mode `form`, `url` with mode `url`. `tool_call_id` names the agent's
 * tool call that was in flight on that mcp when the request came, if any.
 */
export const ElicitationSchema = z.object({
  id: z.string().min(1).max(256),
  tool_call_id: z.string().optional(),
  mcp: McpKindSchema,
  mode: ElicitationModeSchema,
  message: z.string(),
  requested_schema: z.record(z.string(), z.unknown()).optional(),
  url: z.string().optional(),
});

/** How an elicitation shown to the user ended (its content is not echoed). */
export const ElicitationResultSchema = z.object({
  id: z.string().min(1).max(256),
  action: ElicitationActionSchema,
  source: ElicitationSourceSchema,
});

/**
 * One streamed chunk of an agent's output. Exactly one of `delta`,
 * `tool_call`, `tool_progress`, `tool_result`, `notification`, `elicitation`,
 * `elicitation_result` or `finish_reason` is the chunk's payload; extra fields
 * are allowed for forward compatibility.
 */
export const ChunkSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal("agent.completion.chunk"),
  index: z.int().nonnegative(),
  created: z.int().nonnegative(),
  delta: z.object({ content: z.string() }).optional(),
  tool_call: ToolCallSchema.optional(),
  tool_progress: ToolProgressSchema.optional(),
  tool_result: ToolResultSchema.optional(),
  elicitation: ElicitationSchema.optional(),
  elicitation_result: ElicitationResultSchema.optional(),
  notification: z.object({ content: z.string() }).optional(),
  finish_reason: FinishReasonSchema.optional(),
  usage: UsageSchema.optional(),
  error: z.object({ code: z.union([z.int(), z.string()]), message: z.string() }).optional(),
});
export type Chunk = z.infer<typeof ChunkSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type ToolResult = z.infer<typeof ToolResultSchema>;
export type ToolProgress = z.infer<typeof ToolProgressSchema>;
export type Elicitation = z.infer<typeof ElicitationSchema>;
export type ElicitationResult = z.infer<typeof ElicitationResultSchema>;
