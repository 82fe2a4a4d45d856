import { JsonRpcErrorCode } from "@conduit/protocol";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { UpstreamRpcError, errorMessage, upstreamFailed } from "../errors.js";
import { forLog } from "../log-text.js";
import type { Logger } from "../types.js";

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  timeoutMs: number;
}

export interface JsonRpcPeerOptions {
  /** Names the upstream in messages and logs. */
  name: string;
  log: Logger;
  onNotification: (method: string, params: unknown) => void;
  /** Called once, when the transport has closed. */
  onClose: () => void;
}

/**
 * A raw JSON-RPC endpoint over an MCP SDK transport: our own request/response
 * correlation, so params and results pass through verbatim (the SDK's `Client`
 * would substitute its own initialize).
 */
export class JsonRpcPeer {
  readonly #transport: Transport;
  readonly #options: JsonRpcPeerOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(transport: Transport, options: JsonRpcPeerOptions) {
    this.#transport = transport;
    this.#options = options;
    transport.onmessage = (message: JSONRPCMessage) => this.#receive(message);
    transport.onerror = (error: Error) =>
      options.log("debug", `${options.name}: transport error: ${forLog(error.message)}`);
    transport.onclose = () => this.#handleClose();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  start(): Promise<void> {
    return this.#transport.start();
  }

  /** Resolves with the upstream's result; rejects with UpstreamRpcError or a -32004 ConduitClientError. */
  request(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(upstreamFailed(`${this.#options.name} is closed`));
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => this.#timeout(id), timeoutMs);
      this.#pending.set(id, { method, resolve, reject, timer, timeoutMs });
      const message = withParams({ jsonrpc: "2.0", id, method }, params);
      this.#transport.send(message).catch((error: unknown) => {
        this.#settle(id, upstreamFailed(`${this.#options.name}: sending ${method} failed: ${errorMessage(error)}`));
      });
    });
  }

  /** Resolves once the transport took the notification; rejects with -32004 on failure or after `timeoutMs`. */
  async notify(method: string, params: unknown, timeoutMs: number): Promise<void> {
    if (this.#closed) throw upstreamFailed(`${this.#options.name} is closed`);
    const sent = this.#transport.send(withParams({ jsonrpc: "2.0", method }, params)).catch((error: unknown) => {
      throw upstreamFailed(`${this.#options.name}: sending ${method} failed: ${errorMessage(error)}`);
    });
    // An HTTP upstream may never answer the POST, a stdio one never drain its stdin.
    await withTimeout(sent, timeoutMs, () =>
      upstreamFailed(`${this.#options.name} did not accept ${method} within ${timeoutMs} ms`),
    );
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  #timeout(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#settle(
      id,
      upstreamFailed(`${this.#options.name} did not answer ${pending.method} within ${pending.timeoutMs} ms`),
    );
    // Best effort: tell the upstream to stop working on it.
    this.notify("notifications/cancelled", { requestId: id, reason: "timed out" }, pending.timeoutMs).catch(
      () => undefined,
    );
  }

  #settle(id: number, outcome: Error | { result: unknown }): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.result);
  }

  #receive(message: JSONRPCMessage): void {
    if ("method" in message) {
      if ("id" in message) this.#answerUpstreamRequest(message.id, message.method);
      else this.#options.onNotification(message.method, message.params);
      return;
    }
    if (typeof message.id !== "number") {
      this.#options.log(
        "debug",
        `${this.#options.name}: dropped a response with id ${forLog(JSON.stringify(message.id))}`,
      );
      return;
    }
    if ("result" in message) {
      this.#settle(message.id, { result: message.result });
    } else {
      const { code, message: text, data } = message.error;
      this.#settle(message.id, new UpstreamRpcError(code, text, data));
    }
  }

  /** The upstream asks us something: we are not a full MCP client, so only `ping` is served. */
  #answerUpstreamRequest(id: string | number, method: string): void {
    const reply: JSONRPCMessage =
      method === "ping"
        ? { jsonrpc: "2.0", id, result: {} }
        : {
            jsonrpc: "2.0",
            id,
            error: { code: JsonRpcErrorCode.MethodNotFound, message: `the conduit client does not serve ${method}` },
          };
    this.#options.log("debug", `${this.#options.name}: upstream asked ${forLog(method)}`);
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
      this.#settle(id, upstreamFailed(`${this.#options.name} closed before answering ${method}`));
    }
    this.#options.onClose();
  }
}

/** `promise`, or a rejection with `onTimeout()` once `ms` passed first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function withParams(message: { jsonrpc: "2.0"; id?: number; method: string }, params: unknown): JSONRPCMessage {
  return (params === undefined ? message : { ...message, params }) as JSONRPCMessage;
}
