import type { Chunk } from "@conduit/protocol";
import type { StatusSnapshot } from "./status-line.js";

/**
 * Agents and tool calls remembered at most: a server that streams endless new indexes or call ids
 * cannot make the CLI's memory grow (past it, new ones are not counted in the status line).
 */
export const MAX_TRACKED = 10_000;

/** What the chunks say about the run: agents seen, finished and failed, tool calls in flight. */
export class RunProgress {
  connected = false;
  /** Each agent's response id, by index (notify lines address agents by index). */
  readonly agents = new Map<number, string>();
  readonly #finished = new Set<number>();
  readonly #failed: number[] = [];
  /** `index:tool_call id` of calls whose result has not streamed yet. */
  readonly #calls = new Set<string>();

  /** Returns true when the chunk is the first of a new agent. */
  chunk(chunk: Chunk): boolean {
    const { index } = chunk;
    const isNew = !this.agents.has(index) && this.agents.size < MAX_TRACKED;
    if (isNew) this.agents.set(index, chunk.id);
    if (chunk.tool_call && this.#calls.size < MAX_TRACKED) this.#calls.add(`${index}:${chunk.tool_call.id}`);
    if (chunk.tool_result) this.#calls.delete(`${index}:${chunk.tool_result.tool_call_id}`);
    if (chunk.finish_reason && this.agents.has(index) && !this.#finished.has(index)) {
      this.#finished.add(index);
      if (chunk.finish_reason === "error") this.#failed.push(index);
      for (const call of this.#calls) if (call.startsWith(`${index}:`)) this.#calls.delete(call);
    }
    return isNew;
  }

  /** Indexes of the agents that finished with `finish_reason: "error"`, in the order they finished. */
  get failedAgents(): readonly number[] {
    return this.#failed;
  }

  snapshot(): StatusSnapshot {
    return {
      connected: this.connected,
      agentsRunning: this.agents.size - this.#finished.size,
      toolCallsInFlight: this.#calls.size,
    };
  }
}
