import { shortId, type Chunk, type FinishReason } from "@conduit/protocol";
import type { RequestBody } from "@conduit/protocol/body";
import type { Logger } from "../logger.js";
import { ChunkFactory, type ChunkError } from "./chunk-factory.js";
import { UsageTotals, type AgentContext, type OpenAiSettings } from "./context.js";
import { ElicitationDesk } from "./elicitations.js";
import { toAgentError } from "./errors.js";
import { Inbox } from "./inbox.js";
import { AgentMcpClients } from "./mcp-tools.js";
import { runMockUpstream } from "./mock-upstream.js";
import { runOpenAiUpstream } from "./openai-upstream.js";
import type { RunningAgents } from "./running-agents.js";
import type { UpstreamResult } from "./upstream.js";
import { upstreamRequestHandlers } from "./upstream-requests.js";

/** How the agents ask the user on behalf of an upstream (MAX_ELICITATIONS_PER_AGENT, ELICITATION_TIMEOUT_MS). */
export interface ElicitationSettings {
  maxOpenPerAgent: number;
  timeoutMs: number;
}

/** What every agent of the process shares. */
export interface EngineDeps {
  running: RunningAgents;
  /** Every swarm still running (shutdown waits on them for the cancelled agents' final chunks). */
  activeSwarms: Set<Promise<unknown>>;
  /** Base URL of the loopback MCP listener. */
  mcpListenerUrl: string;
  /** Per MCP request made by an agent. */
  mcpRequestTimeoutMs: number;
  openai: OpenAiSettings;
  elicitation: ElicitationSettings;
  logger: Logger;
}

export interface AgentSpec {
  id: string;
  index: number;
  body: RequestBody;
  /** Resolves once the chunk was handed to the transport; never rejects. */
  emit: (chunk: Chunk) => Promise<void>;
  signal: AbortSignal;
}

/**
 * Runs one agent to its final chunk and never throws: a failure inside it
 * becomes finish_reason "error" with an `error` field, an abort becomes
 * "cancelled". Its MCP sessions are closed once the final chunk is out.
 */
export async function runAgent(deps: EngineDeps, spec: AgentSpec): Promise<FinishReason> {
  const { id, index, body, signal } = spec;
  const logger = deps.logger.child({ agent: shortId(id), index });
  const chunks = new ChunkFactory(id, index);
  const inbox = new Inbox();
  const usage = new UsageTotals();
  const elicitations = new ElicitationDesk({
    maxOpen: deps.elicitation.maxOpenPerAgent,
    timeoutMs: deps.elicitation.timeoutMs,
    chunks,
    emit: spec.emit,
  });
  const mcp = new AgentMcpClients({
    listenerUrl: deps.mcpListenerUrl,
    responseId: id,
    declared: body.client_objectiveai_mcp?.mcps ?? [],
    arguments: body.client_objectiveai_mcp?.arguments ?? {},
    requestTimeoutMs: deps.mcpRequestTimeoutMs,
    requests: upstreamRequestHandlers({
      agent: body.agent,
      openai: deps.openai,
      usage,
      elicitations,
      signal,
      logger,
    }),
  });
  const ctx: AgentContext = {
    id,
    index,
    body,
    chunks,
    emit: spec.emit,
    signal,
    inbox,
    elicitations,
    mcp,
    conversation: body.messages.map((message) => ({ role: message.role, content: message.content })),
    usage,
    openai: deps.openai,
    logger,
  };
  deps.running.add(id, { inbox, elicitations });
  logger.debug({ upstream: body.agent.upstream }, "agent started");

  let reason: FinishReason;
  let error: ChunkError | undefined;
  try {
    let result: UpstreamResult;
    if (body.agent.upstream === "mock") {
      usage.add({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      result = await runMockUpstream(ctx, body.agent);
    } else {
      result = await runOpenAiUpstream(ctx, body.agent);
    }
    reason = result.finishReason;
  } catch (err) {
    if (signal.aborted) {
      reason = "cancelled";
    } else {
      const failure = toAgentError(err);
      reason = "error";
      error = { code: failure.code, message: failure.message };
      logger.warn({ code: failure.code, err: failure.message }, "agent failed");
    }
  } finally {
    deps.running.remove(id);
    inbox.close();
  }
  // An elicitation still open (e.g. one from the GET stream) ends before the final chunk.
  await elicitations.close();
  await spec.emit(
    chunks.finish(reason, usage.toUsage() ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, error),
  );
  logger.debug({ finish_reason: reason }, "agent finished");
  await mcp.close();
  return reason;
}
