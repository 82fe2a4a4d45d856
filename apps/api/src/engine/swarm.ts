import { mintResponseId, type Chunk, type FinishReason } from "@conduit/protocol";
import type { RequestBody } from "@conduit/protocol/body";
import { runAgent, type EngineDeps } from "./agent.js";

export interface SwarmOptions {
  body: RequestBody;
  /** Resolves once the chunk was handed to the transport; never rejects. */
  emit: (chunk: Chunk) => Promise<void>;
  /** Aborting cancels every agent (finish_reason "cancelled"). */
  signal: AbortSignal;
  /** Registers a response id on the socket's reverse channel (WS only); may throw RegistrationLimitError. */
  register?: (responseId: string) => void;
}

/** How many agents ended with each finish_reason, for the per-request log line. */
export function countReasons(reasons: readonly FinishReason[]): Partial<Record<FinishReason, number>> {
  const counts: Partial<Record<FinishReason, number>> = {};
  for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

/** The fields of the one `swarm finished` line each completion request logs. */
export function swarmSummary(
  transport: "ws" | "sse" | "unary",
  body: RequestBody,
  reasons: readonly FinishReason[],
  startedMs: number,
): Record<string, unknown> {
  return {
    transport,
    n: body.n,
    upstream: body.agent.upstream,
    finish: countReasons(reasons),
    ms: Date.now() - startedMs,
  };
}

export interface Swarm {
  /** One response id per agent, by index. */
  ids: string[];
  /** Settles when every agent emitted its final chunk and closed its MCP sessions. */
  done: Promise<FinishReason[]>;
}

/**
 * Starts `body.n` agents. Every id is minted and registered before any agent
 * runs, so no chunk can name an id the reverse channel does not know yet; a
 * registration that throws aborts the start with nothing streamed.
 */
export function startSwarm(deps: EngineDeps, options: SwarmOptions): Swarm {
  const ids = Array.from({ length: options.body.n }, () => mintResponseId());
  if (options.register) for (const id of ids) options.register(id);
  const done = Promise.all(
    ids.map((id, index) =>
      runAgent(deps, { id, index, body: options.body, emit: options.emit, signal: options.signal }),
    ),
  );
  deps.activeSwarms.add(done);
  const forget = (): void => {
    deps.activeSwarms.delete(done);
  };
  done.then(forget, forget);
  return { ids, done };
}
