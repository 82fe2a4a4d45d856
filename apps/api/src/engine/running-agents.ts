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

/** Default of MAX_NOTIFY_BYTES_PER_AGENT. */
export const DEFAULT_MAX_NOTIFY_BYTES_PER_AGENT = 1024 * 1024;

export interface RunningAgentsOptions {
  /** UTF-8 bytes of notify content an agent may retain (queued + delivered) over its life; past it 413. */
  maxNotifyBytesPerAgent?: number;
}

/**
 * Process-wide map response id → running agent's inbox, so a notify that
 * arrives on any socket finds its agent in O(1). An id leaves the map when its
 * agent finishes; a notify for it then gets 409.
 */
export class RunningAgents {
  readonly #inboxes = new Map<string, Inbox>();
  readonly maxNotifyBytesPerAgent: number;

  constructor(options: RunningAgentsOptions = {}) {
    this.maxNotifyBytesPerAgent = options.maxNotifyBytesPerAgent ?? DEFAULT_MAX_NOTIFY_BYTES_PER_AGENT;
  }

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
   * running, 429 when it already holds MAX_QUEUED_NOTIFICATIONS undelivered,
   * 413 when the content would take the bytes the agent retains from notifies
   * past maxNotifyBytesPerAgent. A refused notify changes nothing.
   */
  notify(responseId: string, content: string): void {
    const inbox = this.#inboxes.get(responseId);
    if (!inbox || inbox.closed) throw new NotifyError(409, "the agent already finished");
    if (inbox.full) {
      throw new NotifyError(429, `the agent already holds ${MAX_QUEUED_NOTIFICATIONS} undelivered notifications`);
    }
    const bytes = Buffer.byteLength(content, "utf8");
    if (inbox.retainedBytes + bytes > this.maxNotifyBytesPerAgent) {
      throw new NotifyError(
        413,
        `the notification (${bytes} bytes) would take the agent past MAX_NOTIFY_BYTES_PER_AGENT (${this.maxNotifyBytesPerAgent} bytes; ${inbox.retainedBytes} already retained)`,
      );
    }
    if (!inbox.push(content, bytes)) throw new NotifyError(409, "the agent already finished");
  }
}
