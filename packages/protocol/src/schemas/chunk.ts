import { z } from "zod";
import { McpKindSchema } from "./common.js";

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

/**
 * One streamed chunk of an agent's output. Exactly one of `delta`,
 * `tool_call`, `tool_result`, `notification` or `finish_reason` is the
 * chunk's payload; extra fields are allowed for forward compatibility.
 */
export const ChunkSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal("agent.completion.chunk"),
  index: z.int().nonnegative(),
  created: z.int().nonnegative(),
  delta: z.object({ content: z.string() }).optional(),
  tool_call: ToolCallSchema.optional(),
  tool_result: ToolResultSchema.optional(),
  notification: z.object({ content: z.string() }).optional(),
  finish_reason: FinishReasonSchema.optional(),
  usage: UsageSchema.optional(),
  error: z.object({ code: z.union([z.int(), z.string()]), message: z.string() }).optional(),
});
export type Chunk = z.infer<typeof ChunkSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type ToolResult = z.infer<typeof ToolResultSchema>;
