import {
  MAX_TIMER_MS,
  ConduitError,
  ConduitErrorCode,
  type JsonRpcMessage,
  type RequestId,
  type ServerResponseFrame,
} from "@conduit/protocol";

export interface PendingRequestOptions {
  /** Milliseconds of silence before the request fails with -32003; every interim message restarts it. */
  timeoutMs?: number;
  /** The longest the request may wait in all, however many interim messages extend it. Default 10 × timeoutMs. */
  maxTimeoutMs?: number;
  /** Aborting fails the request with -32002 ("dropped before the answer"). */
  signal?: AbortSignal;
  /** Interim messages of this request (v2), in arrival order, until it settles. A throw is ignored. */
  onMessage?: (message: JsonRpcMessage) => void;
  /** Runs after an abort of `signal` removed the waiter (to tell the other side). */
  onAbort?: () => void;
  /** Runs after a timeout removed the waiter, with its message (to tell the other side to stop working on it). */
  onTimeout?: (message: string) => void;
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
  timeoutMs: number;
  /** performance.now() past which silence fails the request; moved on by every interim message. */
  deadline: number;
  /** performance.now() past which the request fails whatever arrives. */
  hardDeadline: number;
  maxTimeoutMs: number;
  signal: AbortSignal | undefined;
  onAbortListener: (() => void) | undefined;
  onMessage: ((message: JsonRpcMessage) => void) | undefined;
  onTimeout: ((message: string) => void) | undefined;
}

export const DEFAULT_MAX_PENDING = 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How many times the silence timeout a request may last in all when interim messages keep it alive. */
export const DEFAULT_MAX_TIMEOUT_FACTOR = 10;

/**
 * The table of server_requests awaiting their server_response on one socket.
 * Each entry is an exchange: it may receive interim messages before its one
 * final answer. The final answer settles it exactly once — answer, timeout,
 * abort, cancel or close — because whichever comes first removes it from the
 * table and the rest find nothing; nothing of it (timer, listener, handler)
 * outlives the settle.
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
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      const now = performance.now();
      const maxTimeoutMs = Math.max(
        timeoutMs,
        Math.min(options.maxTimeoutMs ?? timeoutMs * DEFAULT_MAX_TIMEOUT_FACTOR, MAX_TIMER_MS),
      );
      const waiter: Waiter = {
        resolve,
        reject,
        timer: undefined,
        timeoutMs,
        deadline: now + timeoutMs,
        hardDeadline: now + maxTimeoutMs,
        maxTimeoutMs,
        signal: options.signal,
        onAbortListener: undefined,
        onMessage: options.onMessage,
        onTimeout: options.onTimeout,
      };
      waiter.timer = setTimeout(() => this.#expire(frame.id), timeoutMs);
      if (options.signal) {
        const onAbort = options.onAbort;
        waiter.onAbortListener = () => {
          if (
            this.#reject(
              frame.id,
              new ConduitError(ConduitErrorCode.ChannelClosed, "request aborted before the answer"),
            )
          )
            onAbort?.();
        };
        options.signal.addEventListener("abort", waiter.onAbortListener, { once: true });
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

  /**
   * Hands an interim message to the request's handler and moves its silence
   * deadline on. Returns false (and drops it) when nobody waits for that id.
   */
  message(id: RequestId, message: JsonRpcMessage): boolean {
    const waiter = this.#waiters.get(id);
    if (!waiter) return false;
    waiter.deadline = performance.now() + waiter.timeoutMs;
    try {
      waiter.onMessage?.(message);
    } catch {
      // The handler belongs to the HTTP side; its failure must not break the socket's receive loop.
    }
    return true;
  }

  /** Fails one waiter (e.g. the frame could not be written, or it was cancelled). Returns false when nobody waits. */
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

  /** The timer fired: fail the request, or re-arm for what an interim message added (one timer per request). */
  #expire(id: RequestId): void {
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    const now = performance.now();
    const until = Math.min(waiter.deadline, waiter.hardDeadline);
    if (until > now) {
      waiter.timer = setTimeout(() => this.#expire(id), Math.max(1, Math.ceil(until - now)));
      return;
    }
    const message =
      waiter.deadline > now
        ? `no answer within the overall limit of ${waiter.maxTimeoutMs} ms`
        : `no answer within ${waiter.timeoutMs} ms`;
    const onTimeout = waiter.onTimeout;
    if (this.#reject(id, new ConduitError(ConduitErrorCode.Timeout, message))) onTimeout?.(message);
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
    if (waiter.onAbortListener) waiter.signal?.removeEventListener("abort", waiter.onAbortListener);
    waiter.onMessage = undefined;
    return waiter;
  }
}
