import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { AgentError } from "./errors.js";
import { Header, encodeArgumentsHeader, mcpKindToPath, type McpArguments, type McpKind } from "@conduit/protocol";

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

/**
 * The JSON-RPC code of a failed MCP request: McpError carries it; an HTTP
 * failure of the Streamable HTTP transport carries the status and the
 * route's JSON-RPC error body in its message.
 */
function toCallError(err: unknown, mcp: McpKind): McpCallError {
  if (err instanceof McpCallError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const fromBody = /"code"\s*:\s*(-?\d+)/.exec(message)?.[1];
  const own = err instanceof Error && "code" in err && typeof err.code === "number" ? err.code : undefined;
  const code = fromBody !== undefined ? Number(fromBody) : (own ?? "mcp_error");
  return new McpCallError(code, `MCP ${mcp} failed: ${message}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    // Errors surface through the failing request; the optional GET stream failing is not the agent's problem.
    client.onerror = () => undefined;
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

  /** Calls a tool; the result's content passes through verbatim. Throws McpCallError when the request itself fails. */
  async callTool(mcp: string, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    if (!this.isDeclared(mcp)) throw this.#undeclared(mcp);
    const { client } = await this.#connect(mcp, signal);
    try {
      const result = await client.callTool({ name, arguments: args }, undefined, {
        signal,
        timeout: this.#options.requestTimeoutMs,
      });
      const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
      return { content, isError: result.isError === true };
    } catch (err) {
      throw toCallError(err, mcp);
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
        await withTimeout(
          connection.transport.terminateSession().catch(() => undefined),
          closeTimeoutMs,
        );
        await connection.client.close().catch(() => undefined);
      }),
    );
  }
}
