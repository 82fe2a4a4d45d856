import { setImmediate as nextLoopTurn } from "node:timers/promises";
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

/** Where `writeTo` writes: resolves false once the receiver is gone (ResponseWriter for HTTP). */
export interface TextSink {
  write(text: string): Promise<boolean>;
}

/** An agent's completion with its content kept as the deltas it arrived in (never concatenated). */
type AgentParts = Omit<AgentCompletion, "content"> & { content: string[] };

/** Folds a swarm's chunks into the unary response, one entry per agent index. */
export class UnaryAggregate {
  readonly #agents = new Map<number, AgentParts>();

  constructor(readonly created: number = Math.floor(Date.now() / 1000)) {}

  add(chunk: Chunk): void {
    let agent = this.#agents.get(chunk.index);
    if (!agent) {
      agent = {
        id: chunk.id,
        index: chunk.index,
        content: [],
        tool_calls: [],
        tool_results: [],
        notifications: [],
        finish_reason: null,
        usage: null,
      };
      this.#agents.set(chunk.index, agent);
    }
    if (chunk.delta) agent.content.push(chunk.delta.content);
    if (chunk.tool_call) agent.tool_calls.push(chunk.tool_call);
    if (chunk.tool_result) agent.tool_results.push(chunk.tool_result);
    if (chunk.notification) agent.notifications.push(chunk.notification.content);
    if (chunk.finish_reason) agent.finish_reason = chunk.finish_reason;
    if (chunk.usage) agent.usage = chunk.usage;
    if (chunk.error) agent.error = chunk.error;
  }

  #sorted(): AgentParts[] {
    return [...this.#agents.values()].sort((a, b) => a.index - b.index);
  }

  toResponse(): AgentCompletionResponse {
    const agents = this.#sorted().map((agent) => ({ ...agent, content: agent.content.join("") }));
    return { object: "agent.completion", created: this.created, agents };
  }

  /**
   * Writes the same JSON as `toResponse()` piece by piece: each delta is
   * escaped on its own (deltas never split a surrogate pair, and escaping is
   * per code point anyway), every write honours backpressure, and the event
   * loop gets a turn between deltas. A swarm of big contents is never joined
   * or stringified whole. False once the response is gone.
   */
  async writeTo(writer: TextSink): Promise<boolean> {
    if (!(await writer.write(`{"object":"agent.completion","created":${this.created},"agents":[`))) return false;
    let first = true;
    for (const agent of this.#sorted()) {
      const { id, index, content, ...rest } = agent;
      const head = `${first ? "" : ","}{"id":${JSON.stringify(id)},"index":${JSON.stringify(index)},"content":"`;
      first = false;
      if (!(await writer.write(head))) return false;
      for (const piece of content) {
        if (!(await writer.write(JSON.stringify(piece).slice(1, -1)))) return false;
        await nextLoopTurn();
      }
      // The other fields, in toResponse()'s order, without the enclosing braces.
      if (!(await writer.write(`",${JSON.stringify(rest).slice(1)}`))) return false;
    }
    return writer.write("]}");
  }
}
