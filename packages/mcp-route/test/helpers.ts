import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { SseStreamRegistry } from "@conduit/listeners";
import { frameText, mintResponseId, type ServerRequestFrame, type WireError } from "@conduit/protocol";
import { ReverseChannel, ReverseChannelRegistry } from "@conduit/registry";
import { createMcpListener, type McpListener, type McpListenerOptions } from "../src/index.js";

/** The mcps a harness's stream declares (the route serves only these). */
export const DECLARED_MCPS = ["objectiveai", "acme/files/1.0.0/fs"];

/** What the in-test attach client does with a server_request: answer now, or not (undefined). */
export type Answer = { result: unknown } | { error: WireError } | undefined;
export type Handler = (frame: ServerRequestFrame) => Answer;

interface FrameWaiter {
  match(frame: ServerRequestFrame): boolean;
  resolve(frame: ServerRequestFrame): void;
}

/**
 * The attach client's side of one reverse channel, in-process: the channel's
 * writer decodes each server_request, records it, and answers through
 * channel.deliver as `handler` decides (synchronously, later via `answer`, or never).
 */
export class AttachClient {
  readonly frames: ServerRequestFrame[] = [];
  /** The v2 frames (cancel, agent_message) the channel wrote, in order. */
  readonly controlFrames: Array<{ type: string } & Record<string, unknown>> = [];
  readonly channel: ReverseChannel;
  handler: Handler;
  readonly #waiters: FrameWaiter[] = [];

  constructor(
    handler: Handler,
    options: { maxPending?: number; timeoutMs?: number; declared?: readonly string[] } = {},
  ) {
    const { declared = DECLARED_MCPS, ...channelOptions } = options;
    this.handler = handler;
    this.channel = new ReverseChannel({ ...channelOptions, write: (frame) => this.#onFrame(frameText(frame)) });
    this.channel.declare(declared);
  }

  #onFrame(text: string): void {
    const written = JSON.parse(text) as { type: string } & Record<string, unknown>;
    if (written.type !== "server_request") {
      this.controlFrames.push(written);
      return;
    }
    const frame = written as unknown as ServerRequestFrame;
    this.frames.push(frame);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i] as FrameWaiter;
      if (waiter.match(frame)) {
        this.#waiters.splice(i, 1);
        waiter.resolve(frame);
      }
    }
    const answer = this.handler(frame);
    if (answer !== undefined) this.answer(frame, answer);
  }

  /** Delivers an answer for `frame` (returns false when nobody waits any more). */
  answer(frame: ServerRequestFrame, answer: NonNullable<Answer>): boolean {
    if ("error" in answer) return this.channel.deliver({ type: "server_response", id: frame.id, error: answer.error });
    return this.channel.deliver({ type: "server_response", id: frame.id, result: answer.result });
  }

  /** The first frame with `method`, already seen or still to come. */
  frame(method: string): Promise<ServerRequestFrame> {
    const seen = this.frames.find((frame) => frame.method === method);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match: (frame) => frame.method === method, resolve }));
  }

  /** The frame at position `index` (0-based), already seen or still to come. */
  nth(index: number): Promise<ServerRequestFrame> {
    const seen = this.frames[index];
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match: () => this.frames.length > index, resolve }));
  }

  methods(): string[] {
    return this.frames.map((frame) => frame.method);
  }

  last(method: string): ServerRequestFrame | undefined {
    return this.frames.findLast((frame) => frame.method === method);
  }
}

export const INITIALIZE_RESULT = {
  protocolVersion: "2025-06-18",
  capabilities: { tools: { listChanged: true }, resources: {}, prompts: {}, logging: {}, completions: {} },
  serverInfo: { name: "upstream-everything", version: "9.9.9", title: "Upstream Everything" },
  instructions: "be nice",
};

export const SESSION_ID = "sess-1f2e3d";

/** A well-behaved upstream MCP server as the attach client would relay it. */
export const mcpUpstream: Handler = (frame) => {
  const params = (frame.params ?? {}) as Record<string, unknown>;
  switch (frame.method) {
    case "initialize":
      return { result: { result: INITIALIZE_RESULT, mcp_session_id: SESSION_ID } };
    case "tools/list":
      return { result: { tools: [{ name: "echo", description: "echoes", inputSchema: { type: "object" } }] } };
    case "tools/call":
      if (params.name === "fail") {
        return { error: { code: 4711, message: "the upstream refused", data: { why: "because" } } };
      }
      return { result: { content: [{ type: "text", text: `echo ${JSON.stringify(params.arguments)}` }] } };
    case "resources/list":
      return { result: { resources: [{ uri: "file:///a.txt", name: "a" }] } };
    case "resources/read":
      return { result: { contents: [{ uri: params.uri, text: "hello" }] } };
    case "prompts/list":
      return { result: { prompts: [{ name: "greet" }] } };
    case "prompts/get":
      return { result: { messages: [{ role: "user", content: { type: "text", text: "hi" } }] } };
    case "completion/complete":
      return { result: { completion: { values: ["world"], total: 1, hasMore: false } } };
    default:
      // notifications/*, logging/setLevel, session/terminate, resources/subscribe, …
      return { result: {} };
  }
};

export interface Harness {
  readonly registry: ReverseChannelRegistry;
  readonly listeners: SseStreamRegistry;
  readonly attach: AttachClient;
  readonly responseId: string;
  readonly listener: McpListener;
  /** `${listener.url}/objectiveai` */
  readonly endpoint: string;
}

const open: McpListener[] = [];

export interface HarnessOptions extends Partial<Omit<McpListenerOptions, "registry" | "listeners">> {
  handler?: Handler;
  maxPending?: number;
  maxSubscribersPerId?: number;
}

/** A real listener on 127.0.0.1:0 with a real registry and one registered attach client. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { handler, maxPending, maxSubscribersPerId, ...listenerOptions } = options;
  const registry = new ReverseChannelRegistry();
  const listeners = new SseStreamRegistry({ maxSubscribersPerId });
  const attach = new AttachClient(handler ?? mcpUpstream, { maxPending });
  const responseId = mintResponseId();
  registry.register(responseId, attach.channel);
  const listener = await createMcpListener({ ...listenerOptions, registry, listeners });
  open.push(listener);
  return { registry, listeners, attach, responseId, listener, endpoint: `${listener.url}/objectiveai` };
}

/** For afterEach: closes every listener startHarness opened. */
export async function closeHarnesses(): Promise<void> {
  const listeners = open.splice(0);
  await Promise.all(listeners.map((listener) => listener.close()));
}

export const POST_HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};

export function rpc(method: string, params?: unknown, id: string | number = 1): string {
  return JSON.stringify(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
}

/** POST with fetch: the status, headers and parsed JSON body (or null when there is none). */
export async function post(
  url: string,
  responseId: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const all: Record<string, string> = { ...POST_HEADERS, ...headers };
  if (responseId !== undefined) all["x-objectiveai-response-id"] = responseId;
  const response = await fetch(url, { method: "POST", headers: all, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text.length > 0 ? (JSON.parse(text) as unknown) : null,
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A request over node:http (for headers fetch will not send: Host,
 * Connection, TE, Proxy-*, duplicates). No connection reuse.
 */
export function rawRequest(
  url: string,
  options: { method: string; headers: OutgoingHttpHeaders; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The JSON-RPC messages of an SSE body, in order. */
export function sseMessages(text: string): unknown[] {
  return text
    .split("\n\n")
    .map((event) => event.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice("data: ".length)) as unknown);
}
