import type {
  Chunk,
  Elicitation,
  ElicitationResult,
  FinishReason,
  McpKind,
  ToolProgress,
  Usage,
} from "@conduit/protocol";

export interface ChunkError {
  code: number | string;
  message: string;
}

/** Builds one agent's chunks: every chunk carries its id, index and a `created` in unix seconds. */
export class ChunkFactory {
  constructor(
    readonly id: string,
    readonly index: number,
    readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  #base(): Chunk {
    return { id: this.id, object: "agent.completion.chunk", index: this.index, created: this.now() };
  }

  delta(content: string): Chunk {
    return { ...this.#base(), delta: { content } };
  }

  toolCall(id: string, mcp: McpKind, name: string, args: Record<string, unknown>): Chunk {
    return { ...this.#base(), tool_call: { id, mcp, name, arguments: args } };
  }

  toolResult(toolCallId: string, content: unknown[], isError: boolean): Chunk {
    return { ...this.#base(), tool_result: { tool_call_id: toolCallId, content, is_error: isError } };
  }

  toolProgress(progress: ToolProgress): Chunk {
    return { ...this.#base(), tool_progress: progress };
  }

  elicitation(elicitation: Elicitation): Chunk {
    return { ...this.#base(), elicitation };
  }

  elicitationResult(result: ElicitationResult): Chunk {
    return { ...this.#base(), elicitation_result: result };
  }

  notification(content: string): Chunk {
    return { ...this.#base(), notification: { content } };
  }

  finish(reason: FinishReason, usage: Usage, error?: ChunkError): Chunk {
    const chunk: Chunk = { ...this.#base(), finish_reason: reason, usage };
    if (error) chunk.error = { code: error.code, message: error.message };
    return chunk;
  }
}
