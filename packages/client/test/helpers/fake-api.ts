import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import {
  SUBPROTOCOL,
  decodeClientFrame,
  type ClientRequestFrame,
  type ServerRequestFrame,
  type ServerResponseFrame,
  type WireError,
} from "@conduit/protocol";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { WebSocketServer, type WebSocket } from "ws";

export type Answer = { result: unknown; error?: undefined } | { result?: undefined; error: WireError };

/** What an MCP client would send as InitializeRequest params. */
export const AGENT_INITIALIZE = {
  protocolVersion: LATEST_PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: "agent-under-test", version: "0.0.1" },
};

/**
 * A stand-in for the API's WebSocket endpoint: a real `ws` server on
 * 127.0.0.1:0 that only accepts the conduit.v1 subprotocol and, when given an
 * api key, answers other upgrades with 401.
 */
export class FakeApi {
  readonly #server: WebSocketServer;
  readonly #connections: ApiConnection[] = [];
  readonly #waiters: ((connection: ApiConnection) => void)[] = [];

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on("connection", (socket, request) => {
      const connection = new ApiConnection(socket, request.headers);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(connection);
      else this.#connections.push(connection);
    });
  }

  static async start(options: { apiKey?: string; autoPong?: boolean } = {}): Promise<FakeApi> {
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      autoPong: options.autoPong ?? true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      verifyClient: (info, callback) => {
        if (options.apiKey === undefined || info.req.headers.authorization === `Bearer ${options.apiKey}`)
          callback(true);
        else callback(false, 401, "Unauthorized");
      },
    });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    return new FakeApi(server);
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/agent/completions`;
  }

  nextConnection(): Promise<ApiConnection> {
    const ready = this.#connections.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async stop(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** One attached client, seen from the API side. */
export class ApiConnection {
  readonly socket: WebSocket;
  readonly headers: IncomingHttpHeaders;
  readonly body: Promise<unknown>;
  readonly closed: Promise<number>;
  /** Frames the client sent that the protocol package rejects: must stay empty. */
  readonly invalidFrames: string[] = [];
  readonly #answers = new Map<string, (answer: Answer) => void>();
  readonly #clientRequests: ClientRequestFrame[] = [];
  readonly #clientRequestWaiters: ((frame: ClientRequestFrame) => void)[] = [];
  #nextId = 1;

  constructor(socket: WebSocket, headers: IncomingHttpHeaders) {
    this.socket = socket;
    this.headers = headers;
    let resolveBody: (body: unknown) => void = () => undefined;
    this.body = new Promise((resolve) => (resolveBody = resolve));
    this.closed = new Promise((resolve) => socket.once("close", (code) => resolve(code)));
    let first = true;
    socket.on("message", (data: Buffer) => {
      const text = data.toString("utf8");
      if (first) {
        first = false;
        resolveBody(JSON.parse(text));
        return;
      }
      const decoded = decodeClientFrame(text, 1);
      if (!decoded.ok) {
        this.invalidFrames.push(text);
        return;
      }
      const frame = decoded.value;
      if (frame.type === "server_response") this.#answer(frame);
      else if (frame.type === "client_request") this.#clientRequest(frame);
    });
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  /** Sends a server_request and resolves with the client's server_response. */
  request(mcp: string, method: string, params?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const id = `sr-${this.#nextId++}`;
    const frame = { type: "server_request", id, mcp, method, headers, ...(params === undefined ? {} : { params }) };
    return new Promise((resolve) => {
      this.#answers.set(id, resolve);
      this.socket.send(JSON.stringify(frame));
    });
  }

  /** initialize → {sessionId, result}; throws when the client answered with an error. */
  async initialize(
    mcp: string,
    args: Record<string, string | null> = {},
    initialize: unknown = AGENT_INITIALIZE,
  ): Promise<{ sessionId: string; result: Record<string, unknown> }> {
    const answer = await this.request(mcp, "initialize", { arguments: args, initialize });
    if (answer.error) throw new Error(`initialize failed: ${answer.error.code} ${answer.error.message}`);
    const { result, mcp_session_id } = answer.result as { result: Record<string, unknown>; mcp_session_id: string };
    return { sessionId: mcp_session_id, result };
  }

  /** A request on an existing session. */
  call(mcp: string, sessionId: string, method: string, params?: unknown): Promise<Answer> {
    return this.request(mcp, method, params, { "mcp-session-id": sessionId });
  }

  sendChunk(data: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ type: "chunk", data }));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  sendError(code: number, message: string, closeCode = 1011): void {
    this.socket.send(JSON.stringify({ type: "error", error: { code, message } }));
    this.socket.close(closeCode);
  }

  respond(id: string | number, error?: WireError): void {
    this.socket.send(
      JSON.stringify(
        error ? { type: "client_response", id, ok: false, error } : { type: "client_response", id, ok: true },
      ),
    );
  }

  nextClientRequest(): Promise<ClientRequestFrame> {
    const ready = this.#clientRequests.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#clientRequestWaiters.push(resolve));
  }

  close(code = 1000): void {
    this.socket.close(code);
  }

  #answer(frame: ServerResponseFrame): void {
    const resolve = this.#answers.get(String(frame.id));
    this.#answers.delete(String(frame.id));
    resolve?.("error" in frame ? { error: frame.error } : { result: frame.result });
  }

  #clientRequest(frame: ClientRequestFrame): void {
    const waiter = this.#clientRequestWaiters.shift();
    if (waiter) waiter(frame);
    else this.#clientRequests.push(frame);
  }
}

export type { ServerRequestFrame };

let created = 0;

/** A chunk as the API would stream it. */
export function chunk(index: number, responseId: string, payload: Record<string, unknown>): Record<string, unknown> {
  return { id: responseId, object: "agent.completion.chunk", index, created: 1_700_000_000 + created++, ...payload };
}
