import type { ServerResponse } from "node:http";
import { ConduitError, ConduitErrorCode, httpStatusForErrorCode, type JsonRpcMessage } from "@conduit/protocol";
import type { ForwardResult } from "./forward.js";
import { sendError, sendErrorObject, sendResultJson, type JsonRpcId } from "./json-rpc-reply.js";

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
} as const;

function sseEvent(json: string): string {
  return `event: message\ndata: ${json}\n\n`;
}

/**
 * The HTTP answer to one forwarded request. It stays a plain JSON reply (the
 * common, cheapest path) unless an interim message arrives first: then the
 * answer becomes `text/event-stream` carrying those messages in order, and the
 * final response (or a JSON-RPC error event, once headers are out) ends it.
 * A reader that lets more than `maxBufferedBytes` pile up is cut off: `onOverflow`
 * runs (the caller cancels the request) and the response is destroyed.
 * With `keepaliveMs` (long-lived requests such as `subscriptions/listen`), a
 * started stream gets a `: keepalive` comment at that period, so idle timeouts
 * of the client or of intermediaries do not end a quiet subscription.
 */
export class CallReply {
  readonly #res: ServerResponse;
  readonly #id: JsonRpcId;
  readonly #maxBufferedBytes: number;
  readonly #onOverflow: () => void;
  readonly #keepaliveMs: number;
  #keepalive: NodeJS.Timeout | undefined;
  #streaming = false;
  #overflowed = false;

  constructor(res: ServerResponse, id: JsonRpcId, maxBufferedBytes: number, onOverflow: () => void, keepaliveMs = 0) {
    this.#res = res;
    this.#id = id;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onOverflow = onOverflow;
    this.#keepaliveMs = keepaliveMs;
  }

  get streaming(): boolean {
    return this.#streaming;
  }

  /** One message of the upstream's that belongs to this request, before its answer. */
  interim(message: JsonRpcMessage): void {
    const res = this.#res;
    if (this.#overflowed || res.destroyed || res.writableEnded) return;
    if (!this.#streaming) {
      this.#streaming = true;
      res.writeHead(200, SSE_HEADERS);
      this.#startKeepalive();
    }
    res.write(sseEvent(JSON.stringify(message)));
    if (res.writableLength > this.#maxBufferedBytes) {
      this.#overflowed = true;
      res.destroy();
      this.#onOverflow();
    }
  }

  /** The final answer, as JSON or as the stream's last event. */
  final(result: ForwardResult): void {
    this.#stopKeepalive();
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    if (isCancelled(result)) {
      // The agent cancelled: MCP sends no response for a cancelled request, so the stream just ends.
      if (!this.#streaming) res.writeHead(200, SSE_HEADERS);
      res.end();
      return;
    }
    if (!this.#streaming) {
      replyJson(res, this.#id, result);
      return;
    }
    res.end(sseEvent(responseJson(this.#id, result)));
  }

  #startKeepalive(): void {
    if (this.#keepaliveMs <= 0) return;
    const res = this.#res;
    this.#keepalive = setInterval(() => {
      if (res.destroyed || res.writableEnded) this.#stopKeepalive();
      else res.write(": keepalive\n\n");
    }, this.#keepaliveMs);
    this.#keepalive.unref();
    res.once("close", () => this.#stopKeepalive());
  }

  #stopKeepalive(): void {
    if (this.#keepalive === undefined) return;
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }
}

/**
 * Cancelled by the agent (the route's own -32800), or ended by the attach client
 * as cancelled (an upstream that tore a subscription down): no response is sent.
 */
function isCancelled(result: ForwardResult): boolean {
  if (result instanceof ConduitError) return result.code === ConduitErrorCode.Cancelled;
  return "error" in result && result.conduit === true && result.error.code === ConduitErrorCode.Cancelled;
}

/** The conduit's own errors carry their HTTP status; an upstream's JSON-RPC error travels inside a 200. */
function replyJson(res: ServerResponse, id: JsonRpcId, result: ForwardResult): void {
  if (result instanceof ConduitError) {
    sendErrorObject(res, result.httpStatus, id, result.toWire());
    return;
  }
  if ("error" in result) {
    sendErrorObject(
      res,
      "conduit" in result && result.conduit ? httpStatusForErrorCode(result.error.code) : 200,
      id,
      result.error,
    );
    return;
  }
  const json = resultJson(result.result);
  if (json === undefined) {
    sendError(res, 502, id, ConduitErrorCode.UpstreamFailed, "upstream answer carried no result or cannot be encoded");
    return;
  }
  sendResultJson(res, id, json);
}

function responseJson(id: JsonRpcId, result: ForwardResult): string {
  const idJson = JSON.stringify(id);
  if (result instanceof ConduitError)
    return `{"jsonrpc":"2.0","id":${idJson},"error":${JSON.stringify(result.toWire())}}`;
  if ("error" in result) return `{"jsonrpc":"2.0","id":${idJson},"error":${JSON.stringify(result.error)}}`;
  const json = resultJson(result.result);
  if (json !== undefined) return `{"jsonrpc":"2.0","id":${idJson},"result":${json}}`;
  const error = {
    code: ConduitErrorCode.UpstreamFailed,
    message: "upstream answer carried no result or cannot be encoded",
  };
  return `{"jsonrpc":"2.0","id":${idJson},"error":${JSON.stringify(error)}}`;
}

/** The result as JSON text; undefined when absent or not encodable (a structure too deep to stringify). */
function resultJson(result: unknown): string | undefined {
  if (result === undefined) return undefined;
  try {
    return JSON.stringify(result);
  } catch {
    return undefined;
  }
}
