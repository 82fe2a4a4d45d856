import { z } from "zod";
import { McpArgumentsSchema, McpKindSchema } from "../schemas/common.js";
import { ElicitationContentSchema } from "../schemas/elicitation.js";

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

/**
 * The `mock` agent's answer to every `sampling/createMessage` an upstream sends it:
 * an assistant text message. Without it the mock agent declines sampling with an error.
 */
export const MockSamplingSchema = z.strictObject({
  text: z.string(),
  /** The `model` of the CreateMessageResult. Default `"mock"`. */
  model: z.string().min(1).max(256).optional(),
});
export type MockSampling = z.infer<typeof MockSamplingSchema>;

/**
 * The `mock` agent's answer to every `elicitation/create` an upstream sends it. Without it
 * the elicitation goes to the user (an `elicitation` chunk, answered with `elicitation_response`).
 */
export const MockElicitationSchema = z.union([
  z.strictObject({ action: z.literal("accept"), content: ElicitationContentSchema.optional() }),
  z.strictObject({ action: z.enum(["decline", "cancel"]) }),
]);
export type MockElicitation = z.infer<typeof MockElicitationSchema>;

export const AgentSchema = z.discriminatedUnion("upstream", [
  z.strictObject({
    upstream: z.literal("mock"),
    turns: z.array(MockTurnSchema).default([]),
    sampling: MockSamplingSchema.optional(),
    elicitation: MockElicitationSchema.optional(),
  }),
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
