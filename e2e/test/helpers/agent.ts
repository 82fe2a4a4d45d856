// The agent side of the relay suite: a real MCP SDK Client over
// StreamableHTTPClientTransport against the API's loopback MCP listener, with
// the routing header, handlers for the upstream's requests (sampling,
// elicitation, roots), a record of every notification, and a tap on its fetch
// that records which HTTP exchange (a POST's answer, or the GET stream) carried
// each message.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type Root,
} from "@modelcontextprotocol/sdk/types.js";

/** One JSON-RPC message as it crossed the wire. */
export type Message = { jsonrpc?: string; id?: string | number; method?: string; params?: unknown } & Record<
  string,
  unknown
>;

/** One HTTP exchange the agent's transport made, and the messages its answer carried. */
export interface Exchange {
  readonly method: string;
  /** The JSON-RPC message a POST carried. */
  readonly sent: Message | undefined;
  status: number;
  contentType: string;
  /** Messages of an SSE answer, in order (a JSON answer's one message too). */
  readonly events: Message[];
  /** The answer's body has ended. */
  ended: boolean;
}

function parseSse(chunk: string, state: { buffer: string }, onData: (data: string) => void): void {
  state.buffer += chunk.replaceAll("\r\n", "\n");
  let end = state.buffer.indexOf("\n\n");
  while (end !== -1) {
    const block = state.buffer.slice(0, end);
    state.buffer = state.buffer.slice(end + 2);
    const data = block
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""));
    if (data.length > 0) onData(data.join("\n"));
    end = state.buffer.indexOf("\n\n");
  }
}

/** A fetch that records every exchange and the messages of every answer (read from a clone). */
function tapFetch(exchanges: Exchange[], changed: () => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    let sent: Message | undefined;
    if (typeof init?.body === "string") {
      try {
        sent = JSON.parse(init.body) as Message;
      } catch {
        sent = undefined;
      }
    }
    const exchange: Exchange = {
      method: init?.method ?? "GET",
      sent,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      events: [],
      ended: false,
    };
    exchanges.push(exchange);
    changed();
    if (response.body !== null && exchange.contentType.startsWith("text/event-stream")) {
      const reader = response.clone().body!.pipeThrough(new TextDecoderStream()).getReader();
      const state = { buffer: "" };
      void (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parseSse(value, state, (data) => {
            exchange.events.push(JSON.parse(data) as Message);
            changed();
          });
        }
      })()
        .catch(() => undefined)
        .finally(() => {
          exchange.ended = true;
          changed();
        });
    } else if (exchange.contentType.startsWith("application/json")) {
      void response
        .clone()
        .json()
        .then((message: unknown) => exchange.events.push(message as Message))
        .catch(() => undefined)
        .finally(() => {
          exchange.ended = true;
          changed();
        });
    } else {
      exchange.ended = true;
    }
    return response;
  };
}

export interface AgentOptions {
  mcpPort: number;
  responseId: string;
  mcp: string;
  /** Marks this agent's answers, so a crossed answer shows. */
  tag: string;
  roots?: Root[];
}

export class Agent {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly url: string;
  readonly exchanges: Exchange[] = [];
  readonly notifications: Message[] = [];
  readonly sampling: { id: string | number; params: CreateMessageRequest["params"] }[] = [];
  readonly elicitations: { id: string | number; params: ElicitRequest["params"] }[] = [];
  /** The ids of the roots/list requests answered, in order. */
  readonly rootsRequests: (string | number)[] = [];
  roots: Root[];
  /** Answers sampling/createMessage; replace it to hold an answer back. */
  answerSampling: (params: CreateMessageRequest["params"]) => Promise<CreateMessageResult>;
  /** Answers elicitation/create (form: a name and a tick; url: accept); replace it for other schemas. */
  answerElicitation: (params: ElicitRequest["params"], signal: AbortSignal) => ElicitResult | Promise<ElicitResult>;
  readonly #options: AgentOptions;
  readonly #waiters = new Set<() => void>();

  constructor(options: AgentOptions) {
    this.#options = options;
    this.roots = options.roots ?? [];
    this.url = `http://127.0.0.1:${options.mcpPort}/${options.mcp}`;
    this.answerSampling = async (params) => ({
      role: "assistant",
      model: "e2e-agent",
      stopReason: "endTurn",
      content: { type: "text", text: `sampled by ${options.tag}: ${textOf(params)}` },
    });
    this.answerElicitation = (params) =>
      params.mode === "url"
        ? { action: "accept" }
        : { action: "accept", content: { name: `agent ${options.tag}`, check: true } };
    this.transport = new StreamableHTTPClientTransport(new URL(this.url), {
      requestInit: { headers: { "x-objectiveai-response-id": options.responseId } },
      fetch: tapFetch(this.exchanges, () => this.#changed()),
    });
    this.client = new Client(
      { name: `e2e-agent-${options.tag}`, version: "1.0.0" },
      { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } } },
    );
    this.client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      this.sampling.push({ id: extra.requestId, params: request.params });
      this.#changed();
      return this.answerSampling(request.params);
    });
    this.client.setRequestHandler(ElicitRequestSchema, async (request, extra): Promise<ElicitResult> => {
      this.elicitations.push({ id: extra.requestId, params: request.params });
      this.#changed();
      return this.answerElicitation(request.params, extra.signal);
    });
    this.client.setRequestHandler(ListRootsRequestSchema, (_request, extra) => {
      this.rootsRequests.push(extra.requestId);
      this.#changed();
      return { roots: this.roots };
    });
    this.client.fallbackNotificationHandler = async (notification) => {
      this.notifications.push(notification as Message);
      this.#changed();
    };
  }

  static async connect(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.client.connect(agent.transport);
    return agent;
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  /** Runs the waiters' conditions again (for state recorded outside this class). */
  changed(): void {
    this.#changed();
  }

  /** Resolves once `condition()` holds (checked after every recorded event), rejects after `ms` (a bound). */
  until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${this.#options.tag}: ${what} did not happen within ${ms} ms`));
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }

  /** The session's GET stream is open (the SDK opens it, unawaited, after notifications/initialized). */
  getStreamOpen(): Promise<void> {
    return this.until(() => this.getStreams().some((exchange) => exchange.status === 200), "the GET stream opening");
  }

  getStreams(): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.method === "GET");
  }

  /** The POST that carried the request with JSON-RPC `method` (the last one, if several). */
  postOf(method: string, predicate: (sent: Message) => boolean = () => true): Exchange {
    const found = this.exchanges.findLast(
      (exchange) => exchange.method === "POST" && exchange.sent?.method === method && predicate(exchange.sent),
    );
    if (found === undefined) throw new Error(`no POST of ${method}`);
    return found;
  }

  /** POSTs one raw JSON-RPC message on this agent's session, as its transport would (or as another agent, or to another mcp). */
  async post(
    message: unknown,
    options: { responseId?: string; mcp?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "x-objectiveai-response-id": options.responseId ?? this.#options.responseId,
    };
    if (this.sessionId !== undefined) headers["mcp-session-id"] = this.sessionId;
    if (this.transport.protocolVersion !== undefined) headers["mcp-protocol-version"] = this.transport.protocolVersion;
    const url = options.mcp === undefined ? this.url : `http://127.0.0.1:${this.#options.mcpPort}/${options.mcp}`;
    return fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(message),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  /** Ends the session (DELETE, so the attach client closes its upstream) and the client. */
  async close(): Promise<void> {
    try {
      if (this.sessionId !== undefined) await this.transport.terminateSession();
    } catch {
      // The session or the socket may be gone already; closing the client is what matters here.
    }
    await this.client.close();
  }

  #changed(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** Every message of an SSE (or JSON) answer, read to its end. */
export async function readAnswer(response: Response): Promise<Message[]> {
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream"))
    return [(await response.json()) as Message];
  const messages: Message[] = [];
  const state = { buffer: "" };
  for await (const chunk of response.body!.pipeThrough(new TextDecoderStream()))
    parseSse(chunk, state, (data) => messages.push(JSON.parse(data) as Message));
  return messages;
}

/** The text of a sampling request's first message. */
export function textOf(params: CreateMessageRequest["params"]): string {
  const first = params.messages[0]?.content;
  if (first === undefined || Array.isArray(first)) return "";
  return first.type === "text" ? first.text : "";
}

/** The text content of a tool result, joined. */
export function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content
    .filter((part) => part.type === "text")
    .map((part) => part.text ?? "")
    .join("\n");
}
