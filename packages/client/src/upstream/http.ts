import {
  Header,
  encodeArgumentsHeader,
  isJsonRpcResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type McpArguments,
} from "@conduit/protocol";
import { Pool, type Dispatcher } from "undici";
import type { HttpUpstreamLimits, UpstreamSpec } from "../types.js";
import { QUOTED_BODY_CHARS, UpstreamHttpError } from "./http-error.js";
import { DISCARD, Exchange, type BodySink, type HeadHandler } from "./http-exchange.js";
import { httpLimits } from "./limits.js";
import { sseSink } from "./sse.js";
import { parseJsonRpc, type UpstreamTransport } from "./transport.js";

type HttpSpec = Extract<UpstreamSpec, { kind: "http" }>;
type Method = "POST" | "GET" | "DELETE";

/** How often in a row the standalone or a resumed event stream may fail to reconnect (as the SDK 1.x transport). */
const MAX_RECONNECT_FAILURES = 2;
const RECONNECT_DELAY_MS = 1_000;
const RECONNECT_GROWTH = 1.5;
const MAX_RECONNECT_DELAY_MS = 30_000;
/** Same-origin 307/308 redirects followed per request. */
const MAX_REDIRECTS = 5;

/**
 * A Streamable HTTP upstream (MCP 2025-03-26 to 2025-11-25, and 2026-07-28
 * sessionless servers) on one keep-alive undici Pool:
 * - each outgoing message is a POST; a request's answer is JSON or an event
 *   stream read incrementally, every event's message delivered in order (so
 *   progress, logging and the upstream's own requests arrive before the result);
 * - the `Mcp-Session-Id` of an answer is sent on every later request, and the
 *   negotiated `MCP-Protocol-Version` once set; a request's own headers (2026:
 *   `Mcp-Method`, `Mcp-Name`, …) are added to its POST;
 * - once `notifications/initialized` is accepted, the optional standalone GET
 *   stream carries the server's own messages (405 means the server has none);
 *   a stream that ends early is resumed with `Last-Event-ID`;
 * - close() DELETEs the session (best effort, within closeTimeoutMs).
 * Non-empty initialize arguments travel in `X-OBJECTIVEAI-ARGUMENTS`.
 */
export class HttpTransport implements UpstreamTransport {
  onmessage?: (message: JsonRpcMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: (reason?: string) => void;
  /** A request's answer stream failed or ended without its result: that request cannot be answered. */
  onfailure?: (id: JsonRpcId, error: Error) => void;
  readonly #url: URL;
  readonly #label: string;
  readonly #limits: Required<HttpUpstreamLimits>;
  readonly #headers: Record<string, string>;
  /** Requests (by JSON-RPC id) whose POST or answer stream is open: what abort(id) ends. */
  readonly #inFlight = new Map<JsonRpcId, Exchange>();
  /** Every exchange not done yet (event streams included), ended by close(). */
  readonly #open = new Set<Exchange>();
  #pool: Pool | undefined;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #serverRetryMs: number | undefined;
  readonly #reconnectTimers = new Set<NodeJS.Timeout>();
  #deleted = false;
  /** Set once close() is past its DELETE: no new exchange starts. */
  #ended = false;
  #closing: Promise<void> | undefined;

  constructor(spec: HttpSpec, args: McpArguments) {
    this.#url = new URL(spec.url);
    this.#label = `${this.#url.origin}${this.#url.pathname}`;
    this.#limits = httpLimits(spec);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
    if (Object.keys(args).length > 0) headers[Header.Arguments] = encodeArgumentsHeader(args);
    this.#headers = headers;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  async start(): Promise<void> {
    this.#pool ??= new Pool(this.#url.origin, {
      connect: { timeout: this.#limits.connectTimeoutMs },
      headersTimeout: this.#limits.headersTimeoutMs,
      // Event streams stay open as long as the upstream wants; upstreamTimeoutMs bounds the calls.
      bodyTimeout: 0,
    });
  }

  /** After initialize, as the SDK Client does: later requests carry the negotiated version. */
  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  send(message: JsonRpcMessage, headers?: Record<string, string>): Promise<void> {
    const requestId = typeof message.method === "string" ? idOf(message) : undefined;
    return new Promise((resolve, reject) => {
      const onHead: HeadHandler = (status, answerHeaders, statusText, exchange) => {
        const session = single(answerHeaders["mcp-session-id"]);
        if (session !== undefined) this.#sessionId = session;
        if (status < 200 || status > 299) return this.#errorSink(status, statusText, reject);
        if (status === 202 || requestId === undefined) {
          resolve();
          if (status === 202 && message.method === "notifications/initialized") this.#openStream(undefined, 0);
          return DISCARD;
        }
        const type = mediaType(answerHeaders["content-type"]);
        if (type === "text/event-stream") {
          resolve();
          return this.#eventSink(exchange, false);
        }
        if (type === "application/json") return this.#jsonSink(exchange, resolve, reject);
        const error = new UpstreamHttpError(`${this.#label} answered with content type ${String(type)}`, { status });
        reject(error);
        exchange.abort(error);
        return DISCARD;
      };
      const body = JSON.stringify(message);
      this.#request(requestId, "POST", this.#path(), this.#postHeaders(headers), body, onHead, reject);
    });
  }

  abort(id: JsonRpcId): void {
    const exchange = this.#inFlight.get(id);
    this.#inFlight.delete(id);
    exchange?.abort(new Error("cancelled"));
  }

  /** session/terminate: DELETE the session; 405 (the server keeps sessions) is fine. Rejects otherwise. */
  terminateSession(): Promise<void> {
    if (this.#sessionId === undefined || this.#deleted) return Promise.resolve();
    this.#deleted = true;
    return new Promise((resolve, reject) => {
      this.#request(
        undefined,
        "DELETE",
        this.#path(),
        this.#baseHeaders(),
        undefined,
        (status, _headers, statusText) => {
          if ((status >= 200 && status <= 299) || status === 405) {
            resolve();
            return DISCARD;
          }
          return this.#errorSink(status, statusText, reject);
        },
        reject,
      );
    });
  }

  /** DELETEs the session first (best effort, within closeTimeoutMs), then ends every request and connection. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    for (const timer of this.#reconnectTimers) clearTimeout(timer);
    this.#reconnectTimers.clear();
    if (this.#pool !== undefined && this.#sessionId !== undefined && !this.#deleted) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#limits.closeTimeoutMs)));
      await Promise.race([this.terminateSession().catch(() => undefined), late]);
      clearTimeout(timer);
    }
    this.#ended = true;
    const closed = new Error("the connection to the upstream was closed");
    for (const exchange of this.#open) exchange.abort(closed);
    this.#open.clear();
    this.#inFlight.clear();
    await this.#pool?.destroy().catch(() => undefined);
    this.onclose?.();
  }

  #path(): string {
    return `${this.#url.pathname}${this.#url.search}`;
  }

  #baseHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#sessionId !== undefined) headers["mcp-session-id"] = this.#sessionId;
    if (this.#protocolVersion !== undefined) headers["mcp-protocol-version"] = this.#protocolVersion;
    return Object.assign(headers, this.#headers);
  }

  #postHeaders(own: Record<string, string> | undefined): Record<string, string> {
    const headers = this.#baseHeaders();
    headers["content-type"] = "application/json";
    headers.accept = "application/json, text/event-stream";
    if (own !== undefined) for (const [name, value] of Object.entries(own)) headers[name.toLowerCase()] = value;
    return headers;
  }

  /**
   * One exchange on the pool, following same-origin 307/308 redirects; network
   * failures get their cause in the text. While open it is what abort(requestId) ends.
   */
  #request(
    requestId: JsonRpcId | undefined,
    method: Method,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    onHead: HeadHandler,
    onFailure: (error: Error) => void,
    redirects = 0,
  ): void {
    const pool = this.#pool;
    if (pool === undefined || this.#ended) {
      onFailure(new UpstreamHttpError(`${method} ${this.#label}: the connection is closed`));
      return;
    }
    const exchange = new Exchange(
      requestId,
      (status, answerHeaders, statusText, self) => {
        const location = single(answerHeaders.location);
        if ((status !== 307 && status !== 308) || location === undefined) {
          return onHead(status, answerHeaders, statusText, self);
        }
        const target = new URL(location, new URL(path, this.#url.origin));
        if (target.origin === this.#url.origin && redirects < MAX_REDIRECTS) {
          const next = `${target.pathname}${target.search}`;
          this.#request(requestId, method, next, headers, body, onHead, onFailure, redirects + 1);
        } else {
          onFailure(
            new UpstreamHttpError(`${this.#label} redirected to ${target.origin}${target.pathname}, not followed`, {
              status,
            }),
          );
        }
        return DISCARD;
      },
      (error) => onFailure(this.#describe(method, error)),
    );
    this.#open.add(exchange);
    if (requestId !== undefined) this.#inFlight.set(requestId, exchange);
    const forget = (): void => {
      this.#open.delete(exchange);
      if (requestId !== undefined && this.#inFlight.get(requestId) === exchange) this.#inFlight.delete(requestId);
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => exchange.onRequestStart(controller),
      onResponseStart: (controller, status, answerHeaders, statusText) =>
        exchange.onResponseStart(controller, status, answerHeaders, statusText),
      onResponseData: (controller, chunk) => exchange.onResponseData(controller, chunk),
      onResponseEnd: () => {
        forget();
        exchange.onResponseEnd();
      },
      onResponseError: (controller, error) => {
        forget();
        exchange.onResponseError(controller, error);
      },
    };
    try {
      pool.dispatch({ method, path, headers, ...(body === undefined ? {} : { body }), bodyTimeout: 0 }, handler);
    } catch (error) {
      // undici refuses some requests synchronously (a header value it cannot send).
      forget();
      exchange.onResponseError(undefined, error as Error);
    }
  }

  /** A network error as a user can act on it: the cause, and which setting bounds a timeout. */
  #describe(method: Method, error: Error): Error {
    if (error instanceof UpstreamHttpError) return error;
    const code = (error as { code?: unknown }).code;
    const errorCode = typeof code === "string" ? code : undefined;
    const limit =
      errorCode === "UND_ERR_CONNECT_TIMEOUT"
        ? "connectTimeoutMs"
        : errorCode === "UND_ERR_HEADERS_TIMEOUT"
          ? "headersTimeoutMs"
          : undefined;
    const bound =
      limit === "connectTimeoutMs"
        ? ` (no connection within ${this.#limits.connectTimeoutMs} ms, connectTimeoutMs)`
        : limit === "headersTimeoutMs"
          ? ` (no answer headers within ${this.#limits.headersTimeoutMs} ms, headersTimeoutMs)`
          : "";
    return new UpstreamHttpError(`${method} ${this.#label}: ${error.message}${bound}`, {
      cause: error,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(limit === undefined ? {} : { limit }),
    });
  }

  /** A non-2xx answer: its status and the start of its body (within maxJsonBytes) become the error. */
  #errorSink(status: number, statusText: string, reject: (error: Error) => void): BodySink {
    const parts: Buffer[] = [];
    let size = 0;
    const fail = (): void => {
      const text = Buffer.concat(parts).toString("utf8");
      const quoted = text.length > QUOTED_BODY_CHARS ? `${text.slice(0, QUOTED_BODY_CHARS)}…` : text;
      const expired =
        status === 404 && this.#sessionId !== undefined ? " (the upstream no longer knows this session)" : "";
      reject(
        new UpstreamHttpError(
          `${this.#label} answered HTTP ${status}${statusText ? ` ${statusText}` : ""}${expired}${quoted ? `: ${quoted}` : ""}`,
          { status },
        ),
      );
    };
    return {
      data: (chunk) => {
        if (size >= QUOTED_BODY_CHARS * 4) return;
        parts.push(chunk);
        size += chunk.length;
      },
      end: fail,
      error: fail,
    };
  }

  /** A JSON answer: delivered once whole; larger than maxJsonBytes, the request fails and the body is dropped. */
  #jsonSink(exchange: Exchange, resolve: () => void, reject: (error: Error) => void): BodySink {
    const parts: Buffer[] = [];
    let size = 0;
    return {
      data: (chunk) => {
        size += chunk.length;
        if (size > this.#limits.maxJsonBytes) {
          const error = new UpstreamHttpError(
            `${this.#label} sent a JSON answer larger than ${this.#limits.maxJsonBytes} bytes (maxJsonBytes)`,
            { limit: "maxJsonBytes" },
          );
          reject(error);
          exchange.abort(error);
          return;
        }
        parts.push(chunk);
      },
      end: () => {
        const messages = parseJsonRpc(Buffer.concat(parts).toString("utf8"), undefined);
        if (messages.length === 0) {
          reject(new UpstreamHttpError(`${this.#label} answered with a body that is not JSON-RPC`));
          return;
        }
        for (const message of messages) this.onmessage?.(message);
        resolve();
      },
      error: reject,
    };
  }

  /**
   * An event stream: a POST's answer, the resumption of one (both carry
   * `exchange.requestId`), or the standalone GET stream. One that ends before
   * its result, after an event with an id, is resumed with GET and
   * `Last-Event-ID`; the standalone stream is reopened whenever it ends.
   */
  #eventSink(exchange: Exchange, isGet: boolean): BodySink {
    const requestId = exchange.requestId;
    let lastEventId: string | undefined;
    let answered = false;
    const finished = (error: Error | undefined): void => {
      if (this.#closing !== undefined || answered || error?.message === "cancelled") return;
      if (isGet || lastEventId !== undefined) {
        this.#scheduleStream(lastEventId, 0, requestId);
      } else if (requestId !== undefined) {
        const cause = error === undefined ? "" : `: ${error.message}`;
        this.onfailure?.(
          requestId,
          new UpstreamHttpError(`${this.#label} ended the answer stream before the result${cause}`),
        );
      }
    };
    return sseSink(this.#limits.maxSseEventChars, {
      onData: (data) => {
        for (const message of parseJsonRpc(data, this.onerror)) {
          if (isJsonRpcResponse(message)) answered = true;
          this.onmessage?.(message);
        }
      },
      onId: (id) => (lastEventId = id),
      onRetry: (ms) => (this.#serverRetryMs = ms),
      onTooLong: () => {
        const error = new UpstreamHttpError(
          `${this.#label} sent an event longer than ${this.#limits.maxSseEventChars} characters (maxSseEventChars)`,
          { limit: "maxSseEventChars" },
        );
        this.onerror?.(error);
        answered = true;
        if (requestId !== undefined) this.onfailure?.(requestId, error);
        exchange.abort(error);
      },
      end: () => finished(undefined),
      error: (error) => finished(error),
    });
  }

  /**
   * Opens a GET event stream: the standalone one, or the resumption (with
   * `lastEventId`) of request `requestId`'s stream. 405 means the server offers
   * none. A reconnection that fails is retried, MAX_RECONNECT_FAILURES times in all.
   */
  #openStream(lastEventId: string | undefined, failures: number, requestId?: JsonRpcId, reconnecting = false): void {
    const headers = this.#baseHeaders();
    headers.accept = "text/event-stream";
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const failed = (error: Error): void => {
      this.onerror?.(error);
      if (reconnecting && failures + 1 < MAX_RECONNECT_FAILURES)
        this.#scheduleStream(lastEventId, failures + 1, requestId);
    };
    this.#request(
      requestId,
      "GET",
      this.#path(),
      headers,
      undefined,
      (status, answerHeaders, statusText, exchange) => {
        if (status === 405) return DISCARD;
        if (status < 200 || status > 299) return this.#errorSink(status, statusText, failed);
        const type = mediaType(answerHeaders["content-type"]);
        if (type !== "text/event-stream") {
          // Not a stream to read or to reopen.
          this.onerror?.(new UpstreamHttpError(`${this.#label} answered GET with content type ${String(type)}`));
          exchange.abort(new Error("cancelled"));
          return DISCARD;
        }
        return this.#eventSink(exchange, true);
      },
      failed,
    );
  }

  #scheduleStream(lastEventId: string | undefined, failures: number, requestId: JsonRpcId | undefined): void {
    if (this.#closing !== undefined) return;
    const delay =
      this.#serverRetryMs ?? Math.min(RECONNECT_DELAY_MS * RECONNECT_GROWTH ** failures, MAX_RECONNECT_DELAY_MS);
    const timer = setTimeout(() => {
      this.#reconnectTimers.delete(timer);
      this.#openStream(lastEventId, failures, requestId, true);
    }, delay);
    this.#reconnectTimers.add(timer);
  }
}

function idOf(message: JsonRpcMessage): JsonRpcId | undefined {
  const id = message.id;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `text/event-stream; charset=utf-8` → `text/event-stream`. */
function mediaType(value: string | string[] | undefined): string | undefined {
  return single(value)?.split(";")[0]?.trim().toLowerCase();
}

/** The headers of an agent's request that an HTTP upstream of MCP 2026-07-28 checks against the body. */
export function upstreamRequestHeaders(headers: Record<string, string>): Record<string, string> | undefined {
  let picked: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (
      lower === Header.McpProtocolVersion ||
      lower === "mcp-method" ||
      lower === "mcp-name" ||
      lower.startsWith("mcp-param-")
    ) {
      (picked ??= {})[lower] = value;
    }
  }
  return picked;
}
