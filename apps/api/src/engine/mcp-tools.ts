import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type ElicitResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { AgentError } from "./errors.js";
import { readRouteError } from "@conduit/mcp-route";
import {
  errorMessage,
  withTimeout,
  MAX_TIMER_MS,
  Header,
  encodeArgumentsHeader,
  mcpKindToPath,
  type McpArguments,
  type McpKind,
} from "@conduit/protocol";
import type { McpProgress } from "./tool-progress.js";
import type { UpstreamRequestHandlers } from "./upstream-requests.js";

export interface AgentMcpOptions {
  /** The loopback listener's base URL, e.g. http://127.0.0.1:43123 */
  listenerUrl: string;
  responseId: string;
  /** The mcps the request declared; any other is refused without a round trip. */
  declared: readonly McpKind[];
  arguments: Readonly<Record<string, McpArguments>>;
  /** Per MCP request; a little above the conduit's own timeout so its -32003 arrives first. */
  requestTimeoutMs: number;
  /** Bound on the DELETE that ends a session when the agent finishes. */
  closeTimeoutMs?: number;
  /**
   * Answers to the upstreams' sampling and elicitation requests. When set, the
   * clients declare the `sampling` and `elicitation` (form and url) capabilities.
   */
  requests?: UpstreamRequestHandlers;
}

export interface CallToolOptions {
  /** The agent's id of this call: an elicitation that arrives on this mcp while it runs names it. */
  toolCallId?: string;
  /** Each `notifications/progress` of the call (the SDK sends a progressToken when this is set). */
  onProgress?: (progress: McpProgress) => void;
}

export interface ToolOutcome {
  content: unknown[];
  isError: boolean;
}

/** An MCP request that failed (not a tool that reported isError). */
export class McpCallError extends AgentError {
  override readonly name = "McpCallError";
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

const CLIENT_INFO = { name: "conduit-agent", version: "0.1.0" };

/** A call that reports progress may last this many times its silence timeout in all (the conduit's own factor). */
const PROGRESS_TOTAL_FACTOR = 10;

/**
 * The JSON-RPC code of a failed MCP request, as mcp-route reads it (the
 * route's error body of an HTTP failure, or an McpError's code); an error
 * that carries none keeps its own numeric code, else "mcp_error".
 */
function toCallError(err: unknown, mcp: McpKind): McpCallError {
  if (err instanceof McpCallError) return err;
  const message = errorMessage(err);
  const own = err instanceof Error && "code" in err && typeof err.code === "number" ? err.code : undefined;
  const code = readRouteError(err)?.code ?? own ?? "mcp_error";
  return new McpCallError(code, `MCP ${mcp} failed: ${message}`);
}

/**
 * One agent's MCP clients, one per declared mcp, each the official SDK
 * Client over StreamableHTTPClientTransport to the loopback listener with the
 * routing header set — the path an external agent process would take.
 * Connections open lazily and are cached (a failed connect is retried on the
 * next use).
 */
export class AgentMcpClients {
  readonly #options: AgentMcpOptions;
  readonly #connections = new Map<McpKind, Promise<Connection>>();
  /** Tool calls in flight per mcp, by the agent's tool call id. */
  readonly #callsInFlight = new Map<McpKind, Set<string>>();
  #closed = false;
  #toolsChanged = false;

  constructor(options: AgentMcpOptions) {
    this.#options = options;
  }

  get declared(): readonly McpKind[] {
    return this.#options.declared;
  }

  /** True once an upstream said its tool list changed since the last takeToolsChanged(). */
  takeToolsChanged(): boolean {
    const changed = this.#toolsChanged;
    this.#toolsChanged = false;
    return changed;
  }

  isDeclared(mcp: string): mcp is McpKind {
    return this.#options.declared.includes(mcp as McpKind);
  }

  #connect(mcp: McpKind, signal: AbortSignal): Promise<Connection> {
    const cached = this.#connections.get(mcp);
    if (cached) return cached;
    const args = this.#options.arguments[mcp];
    const headers: Record<string, string> = { [Header.ResponseId]: this.#options.responseId };
    if (args) headers[Header.Arguments] = encodeArgumentsHeader(args);
    const transport = new StreamableHTTPClientTransport(new URL(this.#options.listenerUrl + mcpKindToPath(mcp)), {
      requestInit: { headers },
      // The listener is local: a dropped GET stream is not worth retrying for long.
      reconnectionOptions: {
        maxRetries: 1,
        initialReconnectionDelay: 500,
        maxReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1,
      },
    });
    const requests = this.#options.requests;
    const capabilities: ClientCapabilities = requests ? { sampling: {}, elicitation: { form: {}, url: {} } } : {};
    const client = new Client(CLIENT_INFO, { capabilities });
    // Errors surface through the failing request; the optional GET stream failing is not the agent's problem.
    client.onerror = () => undefined;
    if (requests) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) =>
        requests.sample(request.params, extra.signal),
      );
      client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
        const params = request.params;
        const toolCallId = this.#soleCallInFlight(mcp);
        return requests
          .elicit(
            params.mode === "url"
              ? { mcp, mode: "url", message: params.message, url: params.url, toolCallId }
              : {
                  mcp,
                  mode: "form",
                  message: params.message,
                  requestedSchema: params.requestedSchema as Record<string, unknown>,
                  toolCallId,
                },
            extra.signal,
          )
          .then((answer): ElicitResult => ({ ...answer }));
      });
    }
    // Arrives over the GET stream the SDK opens; the attach client turns upstream list_changed into it.
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.#toolsChanged = true;
    });
    const connecting = client
      .connect(transport, { signal, timeout: this.#options.requestTimeoutMs })
      .then(() => ({ client, transport }))
      .catch(async (err: unknown) => {
        this.#connections.delete(mcp);
        await client.close().catch(() => undefined);
        throw toCallError(err, mcp);
      });
    this.#connections.set(mcp, connecting);
    return connecting;
  }

  #undeclared(mcp: string): McpCallError {
    return new McpCallError(
      "undeclared_mcp",
      `mcp ${JSON.stringify(mcp)} is not declared in client_objectiveai_mcp.mcps`,
    );
  }

  /** Every tool of one mcp (following pagination). */
  async listTools(mcp: McpKind, signal: AbortSignal): Promise<Tool[]> {
    if (!this.isDeclared(mcp)) throw this.#undeclared(mcp);
    const { client } = await this.#connect(mcp, signal);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
          signal,
          timeout: this.#options.requestTimeoutMs,
        });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    } catch (err) {
      throw toCallError(err, mcp);
    }
    return tools;
  }

  /**
   * The agent's tool call in flight on `mcp` when there is exactly one (the
   * engine runs an agent's calls one at a time), so an upstream request that
   * arrives meanwhile belongs to it.
   */
  #soleCallInFlight(mcp: McpKind): string | undefined {
    const calls = this.#callsInFlight.get(mcp);
    return calls?.size === 1 ? calls.values().next().value : undefined;
  }

  /**
   * Calls a tool; the result's content passes through verbatim. Throws McpCallError when the request itself fails.
   * With `onProgress`, progress restarts the call's timeout (within 10 times it in all, as the conduit allows).
   */
  async callTool(
    mcp: string,
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    options: CallToolOptions = {},
  ): Promise<ToolOutcome> {
    if (!this.isDeclared(mcp)) throw this.#undeclared(mcp);
    const { client } = await this.#connect(mcp, signal);
    const timeout = this.#options.requestTimeoutMs;
    const { toolCallId, onProgress } = options;
    let calls = this.#callsInFlight.get(mcp);
    if (toolCallId !== undefined) {
      if (!calls) this.#callsInFlight.set(mcp, (calls = new Set()));
      calls.add(toolCallId);
    }
    try {
      const result = await client.callTool({ name, arguments: args }, undefined, {
        signal,
        timeout,
        ...(onProgress
          ? {
              onprogress: onProgress,
              resetTimeoutOnProgress: true,
              maxTotalTimeout: Math.min(timeout * PROGRESS_TOTAL_FACTOR, MAX_TIMER_MS),
            }
          : {}),
      });
      const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
      return { content, isError: result.isError === true };
    } catch (err) {
      throw toCallError(err, mcp);
    } finally {
      if (toolCallId !== undefined) {
        calls?.delete(toolCallId);
        if (calls?.size === 0) this.#callsInFlight.delete(mcp);
      }
    }
  }

  /**
   * Ends every session: DELETE (→ session/terminate upstream) best effort and
   * bounded, then the client closes. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#connections.values()];
    this.#connections.clear();
    const closeTimeoutMs = this.#options.closeTimeoutMs ?? 2000;
    await Promise.all(
      pending.map(async (connecting) => {
        const connection = await connecting.catch(() => undefined);
        if (!connection) return;
        await withTimeout(connection.transport.terminateSession(), closeTimeoutMs, () => new Error("timed out")).catch(
          () => undefined,
        );
        await connection.client.close().catch(() => undefined);
      }),
    );
  }
}
