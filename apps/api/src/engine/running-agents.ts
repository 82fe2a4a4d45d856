import type { ElicitationAction, ElicitationContent } from "@conduit/protocol";
import type { ElicitationDesk } from "./elicitations.js";
import { ClientRequestError } from "./errors.js";
import { MAX_QUEUED_NOTIFICATIONS, type Inbox } from "./inbox.js";

/** The error a refused notify or elicitation_response throws; the ws-server answers its `code`. */
export { ClientRequestError as NotifyError };

/** What a client_request can reach of a running agent. */
export interface AgentMailbox {
  inbox: Inbox;
  elicitations: ElicitationDesk;
}

/** Default of MAX_NOTIFY_BYTES_PER_AGENT. */
export const DEFAULT_MAX_NOTIFY_BYTES_PER_AGENT = 1024 * 1024;

export interface RunningAgentsOptions {
  /** UTF-8 bytes of notify content an agent may retain (queued + delivered) over its life; past it 413. */
  maxNotifyBytesPerAgent?: number;
}

/**
 * Process-wide map response id → running agent's inbox and elicitations, so a
 * notify or elicitation_response that arrives on any socket finds its agent in
 * O(1). An id leaves the map when its agent finishes; a client_request for it
 * then gets 409.
 */
export class RunningAgents {
  readonly #agents = new Map<string, AgentMailbox>();
  readonly maxNotifyBytesPerAgent: number;

  constructor(options: RunningAgentsOptions = {}) {
    this.maxNotifyBytesPerAgent = options.maxNotifyBytesPerAgent ?? DEFAULT_MAX_NOTIFY_BYTES_PER_AGENT;
  }

  get size(): number {
    return this.#agents.size;
  }

  add(responseId: string, mailbox: AgentMailbox): void {
    this.#agents.set(responseId, mailbox);
  }

  remove(responseId: string): void {
    this.#agents.delete(responseId);
  }

  /**
   * Queues `content` for the agent; throws NotifyError 409 when it is not
   * running, 429 when it already holds MAX_QUEUED_NOTIFICATIONS undelivered,
   * 413 when the content would take the bytes the agent retains from notifies
   * past maxNotifyBytesPerAgent. A refused notify changes nothing.
   */
  notify(responseId: string, content: string): void {
    const inbox = this.#agents.get(responseId)?.inbox;
    if (!inbox || inbox.closed) throw new ClientRequestError(409, "the agent already finished");
    if (inbox.full) {
      throw new ClientRequestError(
        429,
        `the agent already holds ${MAX_QUEUED_NOTIFICATIONS} undelivered notifications`,
      );
    }
    const bytes = Buffer.byteLength(content, "utf8");
    if (inbox.retainedBytes + bytes > this.maxNotifyBytesPerAgent) {
      throw new ClientRequestError(
        413,
        `the notification (${bytes} bytes) would take the agent past MAX_NOTIFY_BYTES_PER_AGENT (${this.maxNotifyBytesPerAgent} bytes; ${inbox.retainedBytes} already retained)`,
      );
    }
    if (!inbox.push(content, bytes)) throw new ClientRequestError(409, "the agent already finished");
  }

  /**
   * The user's answer to one of the agent's elicitations. Throws
   * ClientRequestError 409 when the agent is not running, 404 for an
   * elicitation that is not this agent's, 409 for one already settled.
   */
  respondElicitation(
    responseId: string,
    elicitationId: string,
    action: ElicitationAction,
    content: ElicitationContent | undefined,
  ): void {
    const agent = this.#agents.get(responseId);
    if (!agent) throw new ClientRequestError(409, "the agent already finished");
    agent.elicitations.respond(elicitationId, action, content);
  }
}
