import type { Chunk } from "@conduit/protocol";
import type { ChunkFactory } from "./chunk-factory.js";

/** MCP's progress notification params, as the SDK's `onprogress` gets them. */
export interface McpProgress {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Streams one tool call's progress as `tool_progress` chunks, in arrival
 * order. One chunk is in the transport at a time; while it is, only the latest
 * newer progress waits (older ones are superseded), so an upstream that floods
 * progress toward a slow client holds one chunk, never a queue.
 */
export class ToolProgressStream {
  readonly #toolCallId: string;
  readonly #chunks: ChunkFactory;
  readonly #emit: (chunk: Chunk) => Promise<void>;
  #sending: Promise<void> | undefined;
  #waiting: McpProgress | undefined;

  constructor(toolCallId: string, chunks: ChunkFactory, emit: (chunk: Chunk) => Promise<void>) {
    this.#toolCallId = toolCallId;
    this.#chunks = chunks;
    this.#emit = emit;
  }

  push(progress: McpProgress): void {
    if (this.#sending) {
      this.#waiting = progress;
      return;
    }
    this.#send(progress);
  }

  /** Resolves once every progress pushed so far is out (or superseded). */
  async drained(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  #send(progress: McpProgress): void {
    const chunk = this.#chunks.toolProgress({
      tool_call_id: this.#toolCallId,
      progress: progress.progress,
      ...(typeof progress.total === "number" ? { total: progress.total } : {}),
      ...(typeof progress.message === "string" ? { message: progress.message } : {}),
    });
    this.#sending = this.#emit(chunk).then(() => {
      const next = this.#waiting;
      this.#waiting = undefined;
      if (next) this.#send(next);
      else this.#sending = undefined;
    });
  }
}
