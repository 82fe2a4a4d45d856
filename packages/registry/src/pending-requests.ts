import { ConduitErrorCode, type RequestId, type ServerResponseFrame } from "@conduit/protocol";
import { ConduitError } from "./conduit-error.js";

export interface PendingRequestOptions {
  /** Milliseconds before the request fails with -32003. */
  timeoutMs?: number;
  /** Aborting fails the request with -32002 ("dropped before the answer"). */
  signal?: AbortSignal;
}

export interface PendingRequestsOptions {
  /** How many requests may wait at once (SPEC §10, default 1024); past it -32005. */
  maxPending?: number;
  /** Default timeout (SPEC §5, default 30 s). */
  timeoutMs?: number;
}

interface Waiter {
  resolve(frame: ServerResponseFrame): void;
  reject(error: ConduitError): void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export const DEFAULT_MAX_PENDING = 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The table of server_requests awaiting their server_response on one socket.
 * Each waiter settles exactly once — answer, timeout, abort or close — because
 * whichever comes first removes it from the table and the rest find nothing.
 */
export class PendingRequests {
  readonly maxPending: number;
  readonly timeoutMs: number;
  readonly #waiters = new Map<RequestId, Waiter>();
  #closed = false;

  constructor(options: PendingRequestsOptions = {}) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get size(): number {
    return this.#waiters.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  has(id: RequestId): boolean {
    return this.#waiters.has(id);
  }

  /**
   * Registers a waiter for `frame.id` and returns the promise of its answer.
   * Rejects at once with -32002 when closed and -32005 when the table is full.
   */
  request(frame: { id: RequestId }, options: PendingRequestOptions = {}): Promise<ServerResponseFrame> {
    const refusal = this.#refusal(frame.id, options.signal);
    if (refusal) return Promise.reject(refusal);
    return new Promise<ServerResponseFrame>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, signal: options.signal, onAbort: undefined };
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      waiter.timer = setTimeout(
        () => this.#reject(frame.id, new ConduitError(ConduitErrorCode.Timeout, `no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (options.signal) {
        waiter.onAbort = () =>
          this.#reject(frame.id, new ConduitError(ConduitErrorCode.ChannelClosed, "request aborted before the answer"));
        options.signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.set(frame.id, waiter);
    });
  }

  /** Delivers an answer. Returns false (and drops it) when nobody waits for that id. */
  resolve(frame: ServerResponseFrame): boolean {
    const waiter = this.#take(frame.id);
    if (!waiter) return false;
    waiter.resolve(frame);
    return true;
  }

  /** Fails one waiter (e.g. the frame could not be written). Returns false when nobody waits. */
  reject(id: RequestId, error: ConduitError): boolean {
    return this.#reject(id, error);
  }

  /** Rejects every waiter at once with -32002 and refuses new ones. Returns how many were rejected. */
  close(message = "reverse channel closed before the answer"): number {
    this.#closed = true;
    const waiters = [...this.#waiters.keys()];
    for (const id of waiters) this.#reject(id, new ConduitError(ConduitErrorCode.ChannelClosed, message));
    return waiters.length;
  }

  #refusal(id: RequestId, signal: AbortSignal | undefined): ConduitError | undefined {
    if (this.#closed) return new ConduitError(ConduitErrorCode.ChannelClosed, "reverse channel is closed");
    if (signal?.aborted) return new ConduitError(ConduitErrorCode.ChannelClosed, "request aborted before it was sent");
    if (this.#waiters.size >= this.maxPending) {
      return new ConduitError(
        ConduitErrorCode.TooManyPending,
        `too many requests in flight on this channel (limit ${this.maxPending})`,
      );
    }
    if (this.#waiters.has(id)) return new ConduitError(-32603, `request id ${String(id)} is already pending`);
    return undefined;
  }

  #reject(id: RequestId, error: ConduitError): boolean {
    const waiter = this.#take(id);
    if (!waiter) return false;
    waiter.reject(error);
    return true;
  }

  #take(id: RequestId): Waiter | undefined {
    const waiter = this.#waiters.get(id);
    if (!waiter) return undefined;
    this.#waiters.delete(id);
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    return waiter;
  }
}
