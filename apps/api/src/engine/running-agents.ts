import { MAX_QUEUED_NOTIFICATIONS, type Inbox } from "./inbox.js";

/** An Error whose numeric `code` the ws-server answers the client_request with. */
export class NotifyError extends Error {
  override readonly name = "NotifyError";

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Process-wide map response id → running agent's inbox, so a notify that
 * arrives on any socket finds its agent in O(1). An id leaves the map when its
 * agent finishes; a notify for it then gets 409.
 */
export class RunningAgents {
  readonly #inboxes = new Map<string, Inbox>();

  get size(): number {
    return this.#inboxes.size;
  }

  add(responseId: string, inbox: Inbox): void {
    this.#inboxes.set(responseId, inbox);
  }

  remove(responseId: string): void {
    this.#inboxes.delete(responseId);
  }

  /**
   * Queues `content` for the agent; throws NotifyError 409 when it is not
   * running, 429 when it already holds MAX_QUEUED_NOTIFICATIONS undelivered.
   */
  notify(responseId: string, content: string): void {
    const inbox = this.#inboxes.get(responseId);
    if (inbox?.full) {
      throw new NotifyError(429, `the agent already holds ${MAX_QUEUED_NOTIFICATIONS} undelivered notifications`);
    }
    if (!inbox || !inbox.push(content)) throw new NotifyError(409, "the agent already finished");
  }
}
