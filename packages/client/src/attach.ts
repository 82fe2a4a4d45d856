import { randomUUID } from "node:crypto";
import {
  webSocketDataText,
  neverThrows,
  CloseCode,
  ConduitErrorCode,
  JsonRpcErrorCode,
  SUBPROTOCOLS,
  decodeServerFrame,
  protocolVersionOf,
  TurnWriteBatch,
  encodeFrame,
  type Chunk,
  type ClientFrame,
  type ClientResponseFrame,
  type ElicitationAction,
  type ElicitationContent,
  type ListKind,
  type McpKind,
  type ProtocolVersion,
  type ServerResponseFrame,
  type WireError,
} from "@conduit/protocol";
import WebSocket, { type RawData } from "ws";
import { ChunkQueue } from "./chunk-queue.js";
import { declarationWarnings, declaredMcps } from "./declared-mcps.js";
import { ConduitError } from "./errors.js";
import { forLog } from "./log-text.js";
import {
  DEFAULT_MAX_UPSTREAMS,
  encodeBody,
  toWebSocketUrl,
  validateLimit,
  validateMcps,
  validateTimeoutMs,
} from "./options.js";
import { Relay } from "./relay.js";
import { handleServerRequest, type ServerRequestContext } from "./server-request-handler.js";
import type { AttachEvent, AttachOptions, AttachOutcome, AttachSession, ConnectFailure, Logger } from "./types.js";
import { readRefusal } from "./upgrade-refusal.js";
import { UpstreamPool } from "./upstream/pool.js";

const MAX_PAYLOAD = 64 * 1024 * 1024;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
/** A `subscriptions/listen` stays open at most this long by default (1 h), whatever the silence. */
const DEFAULT_MAX_LISTEN_MS = 3_600_000;
const DEFAULT_HEARTBEAT_MS = 30_000;
/** How long dialling plus the opening handshake may take by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long a client-initiated close waits for the server's close frame before dropping the socket. */
const CLOSE_GRACE_MS = 5_000;

/** A client_request awaiting its client_response (notify, elicitation_response). */
interface PendingClientRequest {
  resolve: () => void;
  reject: (error: Error) => void;
}

const ELICITATION_ACTIONS: ReadonlySet<string> = new Set(["accept", "decline", "cancel"]);

/**
 * Dials the API, sends the body, streams chunks and serves the API's
 * server_requests from the configured upstream MCP servers.
 * Throws synchronously: TypeError for a bad url, mcp kind, upstream or body; RangeError for an out-of-range upstreamTimeoutMs, heartbeatMs or maxUpstreams.
 */
export function attach(options: AttachOptions): AttachSession {
  return new AttachClient(options);
}

class AttachClient implements AttachSession {
  readonly closed: Promise<AttachOutcome>;
  readonly #ws: WebSocket;
  readonly #log: Logger;
  readonly #emit: (event: AttachEvent) => void;
  readonly #chunks = new ChunkQueue<Chunk>();
  readonly #pool: UpstreamPool;
  readonly #requests = new Map<string, PendingClientRequest>();
  readonly #context: ServerRequestContext;
  readonly #opened: Promise<boolean>;
  /** The negotiated protocol; decides whether the relay runs (v2) or upstream requests are refused (v1). */
  #protocol: ProtocolVersion = 1;
  #errorFrame: WireError | undefined;
  #failure: string | undefined;
  /** Why the socket never opened, when it did not. */
  #connectFailure: ConnectFailure | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #wasOpen = false;
  /** Mcps that answered a request once: a later -32004 is a failure during the run, not at start. */
  readonly #servedMcps = new Set<string>();
  #closedByClient = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Something came from the server since the last heartbeat tick. */
  #heard = true;
  /** Batches the frames of one event-loop turn into one write on the TCP socket, once it is known. */
  #batch: TurnWriteBatch | undefined;

  constructor(options: AttachOptions) {
    const url = toWebSocketUrl(options.url);
    const mcps = validateMcps(options.mcps);
    const body = encodeBody(options.body);
    const timeoutMs = validateTimeoutMs("upstreamTimeoutMs", options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS);
    const maxListenMs = validateTimeoutMs("maxListenMs", options.maxListenMs ?? DEFAULT_MAX_LISTEN_MS);
    const heartbeatMs =
      options.heartbeatMs === 0 ? 0 : validateTimeoutMs("heartbeatMs", options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    const maxUpstreams = validateLimit("maxUpstreams", options.maxUpstreams ?? DEFAULT_MAX_UPSTREAMS);
    const connectTimeoutMs = validateTimeoutMs(
      "connectTimeoutMs",
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    this.#pool = new UpstreamPool(maxUpstreams);
    // A throwing user logger must never break frame handling or shutdown.
    const log: Logger = neverThrows((level, message) => options.logger?.(level, message));
    this.#log = log;
    this.#emit = safeHandler(options.onEvent);
    const declared = declaredMcps(options.body);
    for (const warning of declarationWarnings(declared, mcps)) log("warn", warning);
    this.#context = {
      mcps,
      declared,
      pool: this.#pool,
      timeoutMs,
      maxListenMs,
      log,
      publishListChanged: (mcp, list) => this.#publishListChanged(mcp, list),
      relay: undefined,
    };
    const relay = new Relay({ send: (frame) => this.#send(frame), timeoutMs, log });

    const ws = new WebSocket(url, [...SUBPROTOCOLS], { headers: options.headers ?? {}, maxPayload: MAX_PAYLOAD });
    this.#ws = ws;
    let settleOpened: (open: boolean) => void = () => undefined;
    this.#opened = new Promise((resolve) => (settleOpened = resolve));
    // Covers DNS, TCP and the upgrade answer: a peer that accepts TCP and stays silent must not hang the client.
    this.#connectTimer = setTimeout(() => {
      this.#connectFailure ??= { kind: "timeout", ms: connectTimeoutMs };
      this.#failure ??= `no answer to the WebSocket upgrade within ${connectTimeoutMs} ms`;
      ws.terminate();
    }, connectTimeoutMs);

    ws.on("unexpected-response", (_request, response) => {
      const status = `HTTP ${response.statusCode ?? "?"} ${response.statusMessage ?? ""}`.trim();
      this.#failure ??= status;
      this.#connectFailure ??= {
        kind: "http",
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? "",
        message: "",
      };
      void readRefusal(response).then((refusal) => {
        if (this.#connectFailure?.kind === "http") this.#connectFailure = refusal;
        if (refusal.message && this.#failure === status) this.#failure = `${status}: ${refusal.message}`;
        ws.terminate();
      });
    });
    ws.on("error", (error: NodeJS.ErrnoException) => {
      const message = error.message || error.code || "socket error";
      this.#failure ??= message;
      if (!this.#wasOpen) this.#connectFailure ??= { kind: "network", code: error.code, message };
      log("debug", `socket error: ${forLog(message)}`);
    });
    ws.on("upgrade", (response) => {
      this.#batch = new TurnWriteBatch(response.socket);
    });
    ws.on("open", () => {
      this.#wasOpen = true;
      clearTimeout(this.#connectTimer);
      this.#protocol = protocolVersionOf(ws.protocol);
      if (this.#protocol === 2) this.#context.relay = relay;
      log("info", `connected to ${url.origin}${url.pathname} (${ws.protocol || "no subprotocol"})`);
      this.#emit({ type: "connected", url: `${url.origin}${url.pathname}`, protocol: ws.protocol });
      ws.send(body);
      settleOpened(true);
      if (heartbeatMs > 0) this.#startHeartbeat(heartbeatMs);
    });
    ws.on("message", (data, isBinary) => {
      this.#heard = true;
      this.#receive(data, isBinary);
    });
    ws.on("pong", () => (this.#heard = true));
    ws.on("ping", () => (this.#heard = true));

    const signal = options.signal;
    const onAbort = () => void this.close(CloseCode.GoingAway).catch(() => undefined);
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        settleOpened(false);
        signal?.removeEventListener("abort", onAbort);
        void this.#finish(code, reason.toString("utf8")).then(resolve);
      });
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk, undefined> {
    return this.#chunks[Symbol.asyncIterator]();
  }

  async notify(responseId: string, content: string): Promise<void> {
    if (typeof responseId !== "string" || responseId.length === 0)
      throw new TypeError("responseId must be a non-empty string");
    if (typeof content !== "string") throw new TypeError("content must be a string");
    return this.#clientRequest("notify", (id) => ({
      type: "client_request",
      id,
      method: "agent_completion_notify",
      params: { response_id: responseId, content },
    }));
  }

  async respondElicitation(
    responseId: string,
    elicitationId: string,
    action: ElicitationAction,
    content?: ElicitationContent,
  ): Promise<void> {
    if (typeof responseId !== "string" || responseId.length === 0)
      throw new TypeError("responseId must be a non-empty string");
    if (typeof elicitationId !== "string" || elicitationId.length === 0)
      throw new TypeError("elicitationId must be a non-empty string");
    if (!ELICITATION_ACTIONS.has(action)) throw new TypeError('action must be "accept", "decline" or "cancel"');
    if (content !== undefined) {
      if (action !== "accept") throw new TypeError("content goes only with accept");
      if (typeof content !== "object" || content === null || Array.isArray(content))
        throw new TypeError("content must be an object");
    }
    const target = { response_id: responseId, elicitation_id: elicitationId };
    return this.#clientRequest("elicitation", (id) => ({
      type: "client_request",
      id,
      method: "elicitation_response",
      params:
        action === "accept"
          ? { ...target, action, ...(content !== undefined ? { content } : {}) }
          : { ...target, action },
    }));
  }

  /** Sends one client_request and settles with its client_response; rejects with ConduitError. */
  async #clientRequest(prefix: string, frame: (id: string) => ClientFrame): Promise<void> {
    if (!(await this.#opened) || this.#ws.readyState !== WebSocket.OPEN) {
      throw new ConduitError(ConduitErrorCode.ChannelClosed, "the socket is not open");
    }
    const id = `${prefix}-${randomUUID()}`;
    return new Promise<void>((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
      if (!this.#send(frame(id))) {
        this.#requests.delete(id);
        reject(new ConduitError(ConduitErrorCode.ChannelClosed, "the socket is not open"));
      }
    });
  }

  async close(code: number = CloseCode.Normal): Promise<void> {
    const state = this.#ws.readyState;
    if (state === WebSocket.CONNECTING || state === WebSocket.OPEN) {
      this.#ws.close(code);
      this.#closedByClient = true;
      this.#graceTimer ??= setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS);
    }
    // Upstreams start shutting down right away, in parallel with the closing handshake.
    void this.#pool.shutdown();
    await this.closed;
  }

  /** Detects a server that vanished without closing (a dead host, a cut network). */
  #startHeartbeat(intervalMs: number): void {
    this.#heartbeat = setInterval(() => {
      if (!this.#heard) {
        this.#failure ??= `no answer from the server for ${2 * intervalMs} ms`;
        this.#ws.terminate();
        return;
      }
      this.#heard = false;
      this.#ws.ping();
    }, intervalMs);
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#log("warn", "dropped a binary frame");
      return;
    }
    const text = webSocketDataText(data);
    const decoded = decodeServerFrame(text, this.#protocol);
    if (!decoded.ok) {
      this.#log("warn", `dropped a frame: ${forLog(decoded.error.message)}`);
      return;
    }
    const frame = decoded.value;
    switch (frame.type) {
      case "chunk":
        // The frame as the server wrote it (key order kept), now known to be valid.
        this.#chunks.push((JSON.parse(text) as { data: Chunk }).data);
        break;
      case "server_request":
        this.#log("debug", `server_request ${forLog(frame.method)} for ${forLog(frame.mcp)}`);
        void handleServerRequest(frame, this.#context).then((response) => {
          this.#observe(frame.mcp, frame.method, response);
          if (!this.#send(response))
            this.#log("debug", `dropped the answer to ${forLog(frame.method)}: socket not open`);
        });
        break;
      case "client_response":
        this.#settleClientRequest(frame);
        break;
      case "error":
        this.#errorFrame ??= frame.error;
        // At debug: the outcome (`closed`) carries it, and the caller reports it once.
        this.#log("debug", `error frame: ${frame.error.code} ${forLog(frame.error.message)}`);
        break;
      case "cancel":
        this.#context.relay?.cancel(frame.id, frame.reason);
        break;
      case "agent_message":
        this.#context.relay?.answer(frame);
        break;
    }
  }

  /** Turns a -32004 answer into an `upstream_failed` event; a success marks the mcp as served. */
  #observe(mcp: string, method: string, response: ServerResponseFrame): void {
    if (!("error" in response) || response.error === undefined) {
      this.#servedMcps.add(mcp);
      return;
    }
    if (response.error.code !== ConduitErrorCode.UpstreamFailed) return;
    const phase = this.#servedMcps.has(mcp) ? "run" : "start";
    this.#emit({ type: "upstream_failed", mcp, method, phase, message: response.error.message });
  }

  #settleClientRequest(frame: ClientResponseFrame): void {
    const pending = typeof frame.id === "string" ? this.#requests.get(frame.id) : undefined;
    if (!pending) {
      this.#log("debug", `client_response ${forLog(JSON.stringify(frame.id))} (not a pending request)`);
      return;
    }
    this.#requests.delete(frame.id as string);
    if (frame.ok) pending.resolve();
    else pending.reject(new ConduitError(frame.error.code, frame.error.message, frame.error.data));
  }

  #publishListChanged(mcp: McpKind, list: ListKind): void {
    this.#send({
      type: "client_request",
      id: `list-changed-${randomUUID()}`,
      method: "mcp_list_changed",
      params: { mcp, list },
    });
  }

  #send(frame: ClientFrame): boolean {
    const encoded = encodeFrame(frame);
    if (!encoded.ok) {
      this.#log("error", forLog(encoded.error));
      if (frame.type === "server_response") {
        return this.#send({
          type: "server_response",
          id: frame.id,
          error: { code: JsonRpcErrorCode.InternalError, message: encoded.error },
        });
      }
      return false;
    }
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#batch?.hold();
    this.#ws.send(encoded.text, this.#onSent);
    return true;
  }

  // One callback for every frame: no closure per send.
  readonly #onSent = (error?: Error | null): void => {
    if (error) this.#log("debug", `send failed: ${forLog(error.message)}`);
  };

  async #finish(code: number, reason: string): Promise<AttachOutcome> {
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#connectTimer);
    clearInterval(this.#heartbeat);
    this.#chunks.end();
    const outcome = this.#outcome(code, reason);
    for (const pending of this.#requests.values()) {
      pending.reject(new ConduitError(ConduitErrorCode.ChannelClosed, "the socket closed before the answer"));
    }
    this.#requests.clear();
    await this.#pool.shutdown();
    // Not at warn: the outcome (`closed`) carries a failure, and the caller reports it once.
    this.#log(outcome.kind === "finished" ? "info" : "debug", `stream ended: ${describeOutcome(outcome)}`);
    return outcome;
  }

  #outcome(code: number, reason: string): AttachOutcome {
    if (this.#errorFrame) {
      return { kind: "error_frame", code, error: { code: this.#errorFrame.code, message: this.#errorFrame.message } };
    }
    if (code === CloseCode.Normal && !this.#closedByClient) return { kind: "finished", code: CloseCode.Normal };
    const why = this.#closedByClient ? "closed by client" : (this.#failure ?? (reason || "connection closed"));
    const failure = this.#closedByClient ? undefined : this.#connectFailure;
    return failure ? { kind: "abnormal", code, reason: why, failure } : { kind: "abnormal", code, reason: why };
  }
}

export function describeOutcome(outcome: AttachOutcome): string {
  switch (outcome.kind) {
    case "finished":
      return "finished (1000)";
    case "error_frame":
      return `error frame ${outcome.error.code}: ${forLog(outcome.error.message)} (close ${outcome.code})`;
    case "abnormal":
      return `closed abnormally (${outcome.code}): ${forLog(outcome.reason)}`;
  }
}

/** A throwing event handler must never break frame handling. */
function safeHandler(handler: ((event: AttachEvent) => void) | undefined): (event: AttachEvent) => void {
  return (event) => {
    try {
      handler?.(event);
    } catch {
      // ignored on purpose
    }
  };
}
