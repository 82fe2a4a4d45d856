import { randomBytes } from "node:crypto";
import type { Chunk, McpKind, Usage } from "@conduit/protocol";
import type { RequestBody } from "@conduit/protocol/body";
import type { Logger } from "../logger.js";
import type { ChunkFactory } from "./chunk-factory.js";
import type { ElicitationDesk } from "./elicitations.js";
import type { Inbox } from "./inbox.js";
import type { AgentMcpClients, ToolOutcome } from "./mcp-tools.js";
import { ToolProgressStream } from "./tool-progress.js";

/** A Chat Completions tool call as the assistant message carries it. */
export interface FunctionCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The agent's conversation, in Chat Completions message form (both upstreams keep it). */
export type ConversationMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: FunctionCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** Token counts summed over an agent's upstream calls; `known` once any call reported usage. */
export class UsageTotals {
  known = false;
  prompt = 0;
  completion = 0;
  total = 0;

  add(usage: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown }): void {
    const count = (value: unknown): number =>
      typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
    this.known = true;
    this.prompt += count(usage.prompt_tokens);
    this.completion += count(usage.completion_tokens);
    this.total += count(usage.total_tokens);
  }

  toUsage(): Usage | undefined {
    if (!this.known) return undefined;
    return { prompt_tokens: this.prompt, completion_tokens: this.completion, total_tokens: this.total };
  }
}

export interface OpenAiSettings {
  /** Without a trailing slash. */
  baseUrl: string;
  apiKey: string | undefined;
  fetch: typeof fetch;
}

/** Everything one running agent works with. */
export interface AgentContext {
  readonly id: string;
  readonly index: number;
  readonly body: RequestBody;
  readonly chunks: ChunkFactory;
  readonly emit: (chunk: Chunk) => Promise<void>;
  readonly signal: AbortSignal;
  readonly inbox: Inbox;
  /** Elicitations shown to the user, awaiting their elicitation_response. */
  readonly elicitations: ElicitationDesk;
  readonly mcp: AgentMcpClients;
  readonly conversation: ConversationMessage[];
  readonly usage: UsageTotals;
  readonly openai: OpenAiSettings;
  readonly logger: Logger;
}

export function mintToolCallId(): string {
  return `call_${randomBytes(12).toString("base64url")}`;
}

/** Delivers every queued notification: a notification chunk each, appended to the conversation as a user message. */
export async function deliverNotifications(ctx: AgentContext): Promise<void> {
  for (const content of ctx.inbox.drain()) {
    ctx.conversation.push({ role: "user", content });
    await ctx.emit(ctx.chunks.notification(content));
  }
}

function textContent(text: string): unknown[] {
  return [{ type: "text", text }];
}

/**
 * Streams the tool_call chunk, calls the tool through the conduit (its
 * progress streamed as tool_progress chunks meanwhile) and streams its
 * tool_result (content verbatim). A call to an undeclared mcp becomes an
 * is_error result; a failed MCP request throws (ending the agent with "error").
 */
export async function runToolCall(
  ctx: AgentContext,
  call: { id: string; mcp: McpKind; name: string; arguments: Record<string, unknown> },
): Promise<ToolOutcome> {
  await ctx.emit(ctx.chunks.toolCall(call.id, call.mcp, call.name, call.arguments));
  let outcome: ToolOutcome;
  if (!ctx.mcp.isDeclared(call.mcp)) {
    outcome = {
      content: textContent(
        `mcp ${JSON.stringify(call.mcp)} is not declared in client_objectiveai_mcp.mcps (only a WebSocket request can declare mcps)`,
      ),
      isError: true,
    };
  } else {
    const progress = new ToolProgressStream(call.id, ctx.chunks, ctx.emit);
    try {
      outcome = await ctx.mcp.callTool(call.mcp, call.name, call.arguments, ctx.signal, {
        toolCallId: call.id,
        onProgress: (update) => progress.push(update),
      });
    } finally {
      // Every progress chunk is out before the result (or the failure) is.
      await progress.drained();
    }
  }
  await ctx.emit(ctx.chunks.toolResult(call.id, outcome.content, outcome.isError));
  return outcome;
}

/** A tool result as the text a Chat Completions `tool` message carries. */
export function toolOutcomeText(outcome: ToolOutcome): string {
  const parts = outcome.content.map((item) => {
    if (
      typeof item === "object" &&
      item !== null &&
      "type" in item &&
      item.type === "text" &&
      "text" in item &&
      typeof item.text === "string"
    ) {
      return item.text;
    }
    return JSON.stringify(item);
  });
  const text = parts.join("\n");
  return outcome.isError ? `Error: ${text}` : text;
}
