import type { Agent } from "@conduit/protocol/body";
import {
  McpError,
  type CreateMessageRequestParams,
  type CreateMessageResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logger.js";
import type { OpenAiSettings, UsageTotals } from "./context.js";
import type { ElicitAnswer, ElicitationDesk, ElicitationQuestion } from "./elicitations.js";
import { sampleWithModel } from "./openai-sampling.js";

/** MCP's code for a sampling request the client refuses ("User rejected sampling request"). */
export const SAMPLING_REJECTED = -1;

/**
 * How an agent answers the requests its upstreams send it during a call
 * (through the conduit, on the POST's event stream or the GET stream).
 */
export interface UpstreamRequestHandlers {
  sample(params: CreateMessageRequestParams, signal: AbortSignal): Promise<CreateMessageResult>;
  elicit(question: ElicitationQuestion, signal: AbortSignal): Promise<ElicitAnswer>;
}

export interface UpstreamRequestDeps {
  agent: Agent;
  openai: OpenAiSettings;
  usage: UsageTotals;
  elicitations: ElicitationDesk;
  /** The agent's own signal: its end aborts a sampling call in progress. */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Sampling: the `openai` agent asks its model; the `mock` agent answers
 * `agent.sampling` or refuses (-1). Elicitation: the `mock` agent's
 * `agent.elicitation` when scripted, otherwise the user is asked (an
 * `elicitation` chunk, answered by `elicitation_response`, bounded wait).
 */
export function upstreamRequestHandlers(deps: UpstreamRequestDeps): UpstreamRequestHandlers {
  const { agent } = deps;
  return {
    async sample(params, signal) {
      if (agent.upstream === "openai") {
        return sampleWithModel(deps.openai, agent, deps.usage, params, AbortSignal.any([signal, deps.signal]));
      }
      if (!agent.sampling) {
        deps.logger.debug("sampling declined: the mock agent has no agent.sampling script");
        throw new McpError(SAMPLING_REJECTED, "sampling declined: the mock agent has no agent.sampling script");
      }
      return {
        role: "assistant",
        content: { type: "text", text: agent.sampling.text },
        model: agent.sampling.model ?? "mock",
        stopReason: "endTurn",
      };
    },
    async elicit(question, signal) {
      if (agent.upstream === "mock" && agent.elicitation) {
        const scripted = agent.elicitation;
        return scripted.action === "accept" && scripted.content !== undefined && question.mode === "form"
          ? { action: "accept", content: scripted.content }
          : { action: scripted.action };
      }
      return deps.elicitations.ask(question, signal);
    },
  };
}
