import { z } from "zod";
import { McpArgumentsSchema, McpKindSchema } from "./common.js";

export const MockToolCallSchema = z.object({
  mcp: McpKindSchema,
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/**
 * A scripted turn of the `mock` upstream: call tools, say something, or wait
 * up to `await_notification` ms for an agent_completion_notify (so a script
 * can react to the user deterministically).
 */
export const MockTurnSchema = z.union([
  z.strictObject({ tool_calls: z.array(MockToolCallSchema).min(1) }),
  z.strictObject({ content: z.string() }),
  z.strictObject({ await_notification: z.int().min(1).max(600_000) }),
]);
export type MockTurn = z.infer<typeof MockTurnSchema>;

export const AgentSchema = z.discriminatedUnion("upstream", [
  z.strictObject({ upstream: z.literal("mock"), turns: z.array(MockTurnSchema).default([]) }),
  z.strictObject({
    upstream: z.literal("openai"),
    model: z.string().min(1),
    temperature: z.number().min(0).max(2).optional(),
  }),
]);
export type Agent = z.infer<typeof AgentSchema>;

export const MessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ClientObjectiveaiMcpSchema = z.strictObject({
  mcps: z.array(McpKindSchema).max(64),
  arguments: z.record(z.string(), McpArgumentsSchema).default({}),
});
export type ClientObjectiveaiMcp = z.infer<typeof ClientObjectiveaiMcpSchema>;

/**
 * The request body: exactly what a POST to /agent/completions carries, and
 * the first text frame of a WebSocket stream.
 */
export const RequestBodySchema = z.strictObject({
  agent: AgentSchema,
  messages: z.array(MessageSchema).default([]),
  n: z.int().min(1).default(1),
  stream: z.boolean().default(false),
  max_turns: z.int().min(1).max(1000).default(8),
  client_objectiveai_mcp: ClientObjectiveaiMcpSchema.optional(),
});
export type RequestBody = z.infer<typeof RequestBodySchema>;
export type RequestBodyInput = z.input<typeof RequestBodySchema>;
