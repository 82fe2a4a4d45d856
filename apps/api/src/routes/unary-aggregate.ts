import type { Chunk, FinishReason, ToolCall, ToolResult, Usage } from "@conduit/protocol";

/** One agent of a unary (stream:false) response. */
export interface AgentCompletion {
  id: string;
  index: number;
  content: string;
  tool_calls: ToolCall[];
  tool_results: ToolResult[];
  notifications: string[];
  finish_reason: FinishReason | null;
  usage: Usage | null;
  error?: { code: number | string; message: string };
}

export interface AgentCompletionResponse {
  object: "agent.completion";
  created: number;
  agents: AgentCompletion[];
}

/** Folds a swarm's chunks into the unary response, one entry per agent index. */
export class UnaryAggregate {
  readonly #agents = new Map<number, AgentCompletion>();

  constructor(readonly created: number = Math.floor(Date.now() / 1000)) {}

  add(chunk: Chunk): void {
    let agent = this.#agents.get(chunk.index);
    if (!agent) {
      agent = {
        id: chunk.id,
        index: chunk.index,
        content: "",
        tool_calls: [],
        tool_results: [],
        notifications: [],
        finish_reason: null,
        usage: null,
      };
      this.#agents.set(chunk.index, agent);
    }
    if (chunk.delta) agent.content += chunk.delta.content;
    if (chunk.tool_call) agent.tool_calls.push(chunk.tool_call);
    if (chunk.tool_result) agent.tool_results.push(chunk.tool_result);
    if (chunk.notification) agent.notifications.push(chunk.notification.content);
    if (chunk.finish_reason) agent.finish_reason = chunk.finish_reason;
    if (chunk.usage) agent.usage = chunk.usage;
    if (chunk.error) agent.error = chunk.error;
  }

  toResponse(): AgentCompletionResponse {
    const agents = [...this.#agents.values()].sort((a, b) => a.index - b.index);
    return { object: "agent.completion", created: this.created, agents };
  }
}
