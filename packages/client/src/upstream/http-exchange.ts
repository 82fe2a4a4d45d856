import type { IncomingHttpHeaders } from "node:http";
import type { JsonRpcId } from "@conduit/protocol";
import type { Dispatcher } from "undici";

/** Receives one answer's body, chosen once its head has arrived. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

/** The answer's head: pick the sink for its body (it may call exchange.abort()). */
export type HeadHandler = (
  status: number,
  headers: IncomingHttpHeaders,
  statusText: string,
  exchange: Exchange,
) => BodySink;

/** A sink that drops the body (a 202, or an answer to a notification). */
export const DISCARD: BodySink = { data: () => undefined, end: () => undefined, error: () => undefined };

/**
 * One HTTP request and its answer, on undici's dispatcher API: the body
 * streams into a sink chunk by chunk, and abort() cancels it through undici's
 * own controller (no AbortSignal, so nothing is added to any shared signal per
 * call). `onFailure` gets a network error (or the abort reason) that came
 * before the head.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  /** The JSON-RPC request whose answer this carries, if any. */
  readonly requestId: JsonRpcId | undefined;
  readonly #onHead: HeadHandler;
  readonly #onFailure: (error: Error) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #sink: BodySink | undefined;
  #abortReason: Error | undefined;
  #done = false;

  constructor(requestId: JsonRpcId | undefined, onHead: HeadHandler, onFailure: (error: Error) => void) {
    this.requestId = requestId;
    this.#onHead = onHead;
    this.#onFailure = onFailure;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Ends the request (before or after its head); its sink, or onFailure, gets `reason`. Idempotent. */
  abort(reason: Error): void {
    if (this.#done || this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    // Not on a socket yet: undici aborts it as soon as it is (onRequestStart).
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusText?: string,
  ): void {
    if (this.#abortReason !== undefined) return;
    this.#sink = this.#onHead(status, headers, statusText ?? "", this);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#abortReason === undefined) this.#sink?.data(chunk);
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#done = true;
    this.#sink?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#done) return;
    this.#done = true;
    const reason = this.#abortReason ?? error;
    if (this.#sink === undefined) this.#onFailure(reason);
    else this.#sink.error(reason);
  }
}
