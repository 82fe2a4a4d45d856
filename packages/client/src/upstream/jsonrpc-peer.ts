import {
  MAX_TIMER_MS,
  withTimeout,
  CANCELLED_NOTIFICATION,
  ConduitErrorCode,
  JsonRpcErrorCode,
  PROGRESS_NOTIFICATION,
  isLongLivedMethod,
  subscriptionIdOf,
  type JsonRpcMessage,
} from "@conduit/protocol";
import { ConduitError, UpstreamRpcError, errorMessage, upstreamFailed } from "../errors.js";
import { forLog } from "../log-text.js";
import type { Logger } from "../types.js";
import type { UpstreamTransport } from "./transport.js";

/** One message from the upstream, as it came (a JSON-RPC request or notification). */
export type UpstreamMessage = { jsonrpc: "2.0"; method: string; id?: string | number; params?: unknown } & Record<
  string,
  unknown
>;

/** Receives the upstream's messages that belong to one request in flight. */
export type InterimHandler = (message: UpstreamMessage) => void;

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  timeoutMs: number;
  /** performance.now() past which silence fails the request; every interim message moves it on. */
  deadline: number;
  hardDeadline: number;
  interim: InterimHandler | undefined;
  /** The agent's own progressToken, replaced upstream by this request's id. */
  progressToken: string | number | undefined;
  /** `subscriptions/listen`: only messages stamped with its id belong to it. */
  longLived: boolean;
}

/** Per-call options besides the silence timeout. */
export interface CallOptions {
  /** The longest the call may last however often interim messages extend it (default MAX_TIMEOUT_FACTOR × timeoutMs). */
  maxTimeoutMs?: number;
  /** HTTP headers of the agent's request that this one request should carry (a Streamable HTTP upstream). */
  headers?: Record<string, string>;
}

export interface JsonRpcPeerOptions {
  /** Names the upstream in messages and logs. */
  name: string;
  log: Logger;
  onNotification: (method: string, params: unknown) => void;
  /**
   * The upstream's notifications and requests that belong to no request in
   * flight. Unset (a conduit.v1 socket): notifications other than list_changed
   * are dropped, `ping` is answered here and other requests get -32601.
   */
  onUnrelated?: (message: UpstreamMessage) => void;
  /** Called once, when the transport has closed. */
  onClose: () => void;
}

/** How many times its silence timeout a request may last in all while interim messages keep it alive. */
const MAX_TIMEOUT_FACTOR = 10;

/** A call in flight: its upstream-side id (for cancel) and its answer. */
export interface UpstreamCall {
  readonly id: number;
  readonly answer: Promise<unknown>;
}

/**
 * A raw JSON-RPC endpoint over an upstream transport (stdio or Streamable HTTP): our own request/response
 * correlation, so params and results pass through verbatim (the SDK's `Client`
 * would substitute its own initialize), and the relay of what the upstream
 * sends while a request runs.
 *
 * Relating an upstream message to a request (stdio gives no marker), in this order:
 * 1. a message stamped with `_meta["io.modelcontextprotocol/subscriptionId"]`
 *    (MCP 2026-07-28) belongs to the `subscriptions/listen` in flight with that
 *    upstream id, and to no request when there is none;
 * 2. a progress notification belongs to the request whose progressToken it names
 *    (each relayed request's token is replaced by its own upstream id, so tokens
 *    never collide), and is dropped when that request is no longer in flight;
 * 3. the upstream's `notifications/cancelled` naming a `subscriptions/listen` in
 *    flight is that subscription's teardown: relayed to it, then the call ends
 *    as cancelled;
 * 4. any other message belongs to the one relayed request in flight when there is
 *    exactly one, not counting long-lived ones (every message of a subscription
 *    is stamped, rule 1, so an unstamped one is never a subscription's), and to
 *    no request otherwise (the session's GET stream, or nobody on a shared
 *    sessionless connection).
 * Rule 4 is safe on a connection several agents share: with exactly one request
 * in flight no other agent's request can be running, and a stdio upstream sends a
 * request's notifications before its response.
 */
export class JsonRpcPeer {
  readonly #transport: UpstreamTransport;
  readonly #options: JsonRpcPeerOptions;
  readonly #pending = new Map<number, Pending>();
  /** Requests in flight that relay interim messages (those with an InterimHandler), long-lived ones not counted. */
  #relaying = 0;
  #nextId = 1;
  #closed = false;
  /** Why the transport ended, when it says (a bound the upstream broke). */
  #closeReason: string | undefined;

  constructor(transport: UpstreamTransport, options: JsonRpcPeerOptions) {
    this.#transport = transport;
    this.#options = options;
    transport.onmessage = (message) => this.#receive(message);
    transport.onerror = (error) => options.log("debug", `${options.name}: transport error: ${forLog(error.message)}`);
    transport.onfailure = (id, error) => {
      const method = typeof id === "number" ? this.#pending.get(id)?.method : undefined;
      if (method === undefined) return;
      this.#settle(id as number, upstreamFailed(`${options.name}: ${method} failed: ${error.message}`));
    };
    transport.onclose = (reason) => {
      this.#closeReason = reason;
      this.#handleClose();
    };
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  start(): Promise<void> {
    return this.#transport.start();
  }

  /** Resolves with the upstream's result; rejects with UpstreamRpcError or a -32004 ConduitError. */
  request(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    return this.call(method, params, timeoutMs).answer;
  }

  /**
   * Sends a request. With `interim`, the upstream's messages that belong to it
   * reach `interim` until it settles, each one restarting its silence timeout
   * (within MAX_TIMEOUT_FACTOR × timeoutMs in all).
   */
  call(
    method: string,
    params: unknown,
    timeoutMs: number,
    interim?: InterimHandler,
    options: CallOptions = {},
  ): UpstreamCall {
    if (this.#closed) return { id: 0, answer: Promise.reject(upstreamFailed(`${this.#options.name} is closed`)) };
    const id = this.#nextId++;
    const agentToken = interim === undefined ? undefined : progressTokenOf(params);
    const sentParams = agentToken === undefined ? params : withProgressToken(params, id);
    const longLived = isLongLivedMethod(method);
    const answer = new Promise<unknown>((resolve, reject) => {
      const now = performance.now();
      const timer = setTimeout(() => this.#expire(id), timeoutMs);
      this.#pending.set(id, {
        method,
        resolve,
        reject,
        timer,
        timeoutMs,
        deadline: now + timeoutMs,
        hardDeadline: now + Math.min(options.maxTimeoutMs ?? timeoutMs * MAX_TIMEOUT_FACTOR, MAX_TIMER_MS),
        interim,
        progressToken: agentToken,
        longLived,
      });
      if (interim !== undefined && !longLived) this.#relaying += 1;
      const message = withParams({ jsonrpc: "2.0", id, method }, sentParams);
      this.#transport.send(message, options.headers).catch((error: unknown) => {
        this.#settle(id, upstreamFailed(`${this.#options.name}: sending ${method} failed: ${errorMessage(error)}`));
      });
    });
    return { id, answer };
  }

  /** Resolves once the transport took the notification; rejects with -32004 on failure or after `timeoutMs`. */
  async notify(method: string, params: unknown, timeoutMs: number): Promise<void> {
    if (this.#closed) throw upstreamFailed(`${this.#options.name} is closed`);
    await this.#sendWithin(withParams({ jsonrpc: "2.0", method }, params), method, timeoutMs);
  }

  /** Sends a response to one of the upstream's own requests (the agent's answer, or an error). */
  async respond(message: JsonRpcMessage, timeoutMs: number): Promise<void> {
    if (this.#closed) throw upstreamFailed(`${this.#options.name} is closed`);
    await this.#sendWithin(message, "a response", timeoutMs);
  }

  /**
   * Cancels request `id`: it settles at once with -32800 and the upstream
   * gets `notifications/cancelled` with its own id. False when it had settled.
   */
  cancel(id: number, reason: string, timeoutMs: number): boolean {
    if (!this.#pending.has(id)) return false;
    this.#transport.abort?.(id);
    this.#settle(id, new ConduitError(ConduitErrorCode.Cancelled, `cancelled: ${reason}`));
    this.notify(CANCELLED_NOTIFICATION, { requestId: id, reason }, timeoutMs).catch(() => undefined);
    return true;
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  async #sendWithin(message: JsonRpcMessage, what: string, timeoutMs: number): Promise<void> {
    const sent = this.#transport.send(message).catch((error: unknown) => {
      throw upstreamFailed(`${this.#options.name}: sending ${what} failed: ${errorMessage(error)}`);
    });
    // An HTTP upstream may never answer the POST, a stdio one never drain its stdin.
    await withTimeout(sent, timeoutMs, () =>
      upstreamFailed(`${this.#options.name} did not accept ${what} within ${timeoutMs} ms`),
    );
  }

  /** One timer per request: re-armed for what interim messages added, else the request fails. */
  #expire(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    const now = performance.now();
    const until = Math.min(pending.deadline, pending.hardDeadline);
    if (until > now) {
      pending.timer = setTimeout(() => this.#expire(id), Math.max(1, Math.ceil(until - now)));
      return;
    }
    this.#transport.abort?.(id);
    const diagnosis = this.#transport.diagnosis?.();
    this.#settle(
      id,
      upstreamFailed(
        `${this.#options.name} did not answer ${pending.method} within ${pending.timeoutMs} ms` +
          (diagnosis === undefined ? "" : `; ${diagnosis}`),
      ),
    );
    // Best effort: tell the upstream to stop working on it.
    this.notify(CANCELLED_NOTIFICATION, { requestId: id, reason: "timed out" }, pending.timeoutMs).catch(
      () => undefined,
    );
  }

  #settle(id: number, outcome: Error | { result: unknown }): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.interim !== undefined && !pending.longLived) this.#relaying -= 1;
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.result);
  }

  #receive(message: JsonRpcMessage): void {
    if (typeof message.method === "string") {
      this.#incoming(message as UpstreamMessage);
      return;
    }
    const error = message.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    const isResult = "result" in message;
    const isError = typeof error?.code === "number" && typeof error.message === "string";
    if (typeof message.id !== "number" || (!isResult && !isError)) {
      this.#options.log(
        "debug",
        `${this.#options.name}: dropped a response with id ${forLog(JSON.stringify(message.id) ?? "none")}`,
      );
      return;
    }
    if (isResult) this.#settle(message.id, { result: message.result });
    else this.#settle(message.id, new UpstreamRpcError(error?.code as number, error?.message as string, error?.data));
  }

  /** A notification or request from the upstream: to its request in flight, to the session, or (v1) handled here. */
  #incoming(message: UpstreamMessage): void {
    const isRequest = message.id !== undefined;
    const subscription = this.#options.onUnrelated === undefined ? undefined : this.#subscriptionOf(message);
    if (subscription !== undefined) {
      this.#relay(subscription, message);
      return;
    }
    if (!isRequest && message.method.endsWith("/list_changed")) {
      this.#options.onNotification(message.method, message.params);
      return;
    }
    if (this.#options.onUnrelated === undefined) {
      if (isRequest) this.#answerV1(message.id as string | number, message.method);
      else this.#options.onNotification(message.method, message.params);
      return;
    }
    const torn = this.#torndownSubscription(message);
    if (torn !== undefined) {
      this.#relay(torn.pending, message);
      this.#settle(
        torn.id,
        new ConduitError(ConduitErrorCode.Cancelled, "cancelled: the upstream tore the subscription down"),
      );
      return;
    }
    const related = this.#relatedTo(message);
    if (related === undefined) {
      if (message.method === PROGRESS_NOTIFICATION) {
        // Its request is no longer in flight (cancelled, timed out): stale. Given to another request it
        // would cross over; sent to the session, its token (our upstream id) could name an agent's own request.
        this.#options.log("debug", `${this.#options.name}: dropped progress for a request no longer in flight`);
        return;
      }
      this.#options.onUnrelated(message);
      return;
    }
    this.#relay(related, message);
  }

  /** Rule 1: a message stamped with a subscription id (the listen's upstream id); `null` when it names none in flight. */
  #subscriptionOf(message: UpstreamMessage): Pending | null | undefined {
    const stamped = subscriptionIdOf(message.params);
    if (stamped === undefined) return undefined;
    const pending = typeof stamped === "number" ? this.#pending.get(stamped) : undefined;
    return pending?.longLived === true && pending.interim !== undefined ? pending : null;
  }

  /** Rule 3: the upstream's notifications/cancelled naming a subscriptions/listen of ours in flight. */
  #torndownSubscription(message: UpstreamMessage): { id: number; pending: Pending } | undefined {
    if (message.method !== CANCELLED_NOTIFICATION || message.id !== undefined) return undefined;
    const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
    const pending = typeof requestId === "number" ? this.#pending.get(requestId) : undefined;
    if (pending?.longLived !== true || pending.interim === undefined) return undefined;
    return { id: requestId as number, pending };
  }

  #relay(related: Pending | null, message: UpstreamMessage): void {
    if (related === null) {
      // Stamped for a subscription that is not (or no longer) in flight: it belongs to no one.
      this.#options.onUnrelated?.(message);
      return;
    }
    related.deadline = performance.now() + related.timeoutMs;
    try {
      related.interim?.(related.progressToken === undefined ? message : restoreProgressToken(message, related));
    } catch (error) {
      this.#options.log(
        "debug",
        `${this.#options.name}: relaying ${forLog(message.method)} failed: ${forLog(errorMessage(error))}`,
      );
    }
  }

  #relatedTo(message: UpstreamMessage): Pending | undefined {
    if (message.method === PROGRESS_NOTIFICATION) {
      // A progress notification names its request: never the one-request-in-flight guess below.
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      const pending = typeof token === "number" ? this.#pending.get(token) : undefined;
      return pending?.progressToken !== undefined ? pending : undefined;
    }
    if (this.#relaying !== 1) return undefined;
    for (const pending of this.#pending.values())
      if (pending.interim !== undefined && !pending.longLived) return pending;
    return undefined;
  }

  /** conduit.v1: we are not a full MCP client there, so only `ping` is served. */
  #answerV1(id: string | number, method: string): void {
    const reply: JsonRpcMessage =
      method === "ping"
        ? { jsonrpc: "2.0", id, result: {} }
        : {
            jsonrpc: "2.0",
            id,
            error: { code: JsonRpcErrorCode.MethodNotFound, message: `the conduit client does not serve ${method}` },
          };
    this.#transport.send(reply).catch((error: unknown) => {
      this.#options.log(
        "debug",
        `${this.#options.name}: answering ${forLog(method)} failed: ${forLog(errorMessage(error))}`,
      );
    });
  }

  #handleClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) {
      const method = this.#pending.get(id)?.method ?? "request";
      const why = this.#closeReason === undefined ? "" : `: ${this.#closeReason}`;
      this.#settle(id, upstreamFailed(`${this.#options.name} closed before answering ${method}${why}`));
    }
    this.#options.onClose();
  }
}

function progressTokenOf(params: unknown): string | number | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== "object" || meta === null) return undefined;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

function withProgressToken(params: unknown, token: number): unknown {
  const object = params as { _meta: Record<string, unknown> };
  return { ...object, _meta: { ...object._meta, progressToken: token } };
}

function restoreProgressToken(message: UpstreamMessage, pending: Pending): UpstreamMessage {
  if (message.method !== PROGRESS_NOTIFICATION) return message;
  const params = message.params as Record<string, unknown>;
  return { ...message, params: { ...params, progressToken: pending.progressToken } };
}

function withParams(message: { jsonrpc: "2.0"; id?: number; method: string }, params: unknown): JsonRpcMessage {
  return params === undefined ? message : { ...message, params };
}
