import { withTimeout } from "@conduit/protocol";
import type { McpArguments, McpKind } from "@conduit/protocol";
import { errorMessage, upstreamFailed } from "../errors.js";
import { forLog, urlForLogs } from "../log-text.js";
import type { Logger, UpstreamSpec } from "../types.js";
import { HttpTransport } from "./http.js";
import { JsonRpcPeer, type UpstreamMessage } from "./jsonrpc-peer.js";
import { StdioTransport } from "./stdio.js";

export interface OpenUpstreamOptions {
  mcp: McpKind;
  spec: UpstreamSpec;
  args: McpArguments;
  log: Logger;
  onNotification: (connection: UpstreamConnection, method: string, params: unknown) => void;
  /** conduit.v2: the upstream's messages that belong to no request in flight; unset on v1. */
  onUnrelated?: (connection: UpstreamConnection, message: UpstreamMessage) => void;
  /** The agent whose initialize opened this connection (its X-OBJECTIVEAI-RESPONSE-ID); none for a shared one. */
  responseId?: string;
  /** Set for the shared sessionless connection (MCP 2026-07-28) of one mcp and argument set: its pool key. */
  sharedKey?: string;
  /** Called once when the connection has closed (exit, transport failure or close()). */
  onClose: (connection: UpstreamConnection) => void;
}

type AnyTransport = { kind: "stdio"; transport: StdioTransport } | { kind: "http"; transport: HttpTransport };

/**
 * One live connection to one upstream MCP server: one per Mcp-Session-Id, or
 * the shared sessionless one of an mcp (several agents' requests, no owner).
 */
export class UpstreamConnection {
  readonly mcp: McpKind;
  readonly peer: JsonRpcPeer;
  /** The agent whose session this is, for messages that belong to no request; none on a shared connection. */
  readonly responseId: string | undefined;
  readonly sharedKey: string | undefined;
  /** The Mcp-Session-Id minted for it, once bound. */
  sessionId: string | undefined;
  readonly #transport: AnyTransport;
  readonly #label: string;
  #closing: Promise<void> | undefined;
  #pid: number | null = null;

  /** Builds the transport without starting it, so that a pool can track it before anything runs. */
  constructor(options: OpenUpstreamOptions) {
    this.mcp = options.mcp;
    this.responseId = options.sharedKey === undefined ? options.responseId : undefined;
    this.sharedKey = options.sharedKey;
    const { spec } = options;
    this.#label = spec.kind === "stdio" ? spec.command : urlForLogs(spec.url);
    const name = `upstream ${forLog(options.mcp)}${options.sharedKey === undefined ? "" : " (shared, sessionless)"}`;
    this.#transport =
      spec.kind === "stdio"
        ? { kind: "stdio", transport: new StdioTransport(spec, options.args, name, options.log) }
        : { kind: "http", transport: new HttpTransport(spec, options.args) };
    this.peer = new JsonRpcPeer(this.#transport.transport, {
      name,
      log: options.log,
      onNotification: (method, params) => options.onNotification(this, method, params),
      ...(options.onUnrelated === undefined
        ? {}
        : { onUnrelated: (message: UpstreamMessage) => options.onUnrelated?.(this, message) }),
      onClose: () => {
        options.log("info", `${this.description} closed`);
        options.onClose(this);
      },
    });
  }

  /** Spawns or connects; rejects with a -32004 error when the upstream cannot be started. */
  async start(log: Logger): Promise<void> {
    try {
      await this.peer.start();
      if (this.#transport.kind === "stdio") this.#pid = this.#transport.transport.pid;
    } catch (error) {
      throw upstreamFailed(`cannot start upstream for ${this.mcp} (${this.#label}): ${errorMessage(error)}`);
    }
    log("info", `${this.description} started`);
  }

  /** The child's pid for a started stdio upstream (kept after it exits, for logs), else null. */
  get pid(): number | null {
    return this.#pid;
  }

  get description(): string {
    const pid = this.pid;
    const shared = this.sharedKey === undefined ? "" : ", shared sessionless";
    return `upstream ${forLog(this.mcp)} (${this.#label}${pid === null ? "" : `, pid ${pid}`}${shared})`;
  }

  get isClosed(): boolean {
    return this.peer.isClosed;
  }

  /** What the SDK Client does after a successful initialize: later HTTP requests carry the version header. */
  afterInitialize(result: unknown): void {
    if (this.#transport.kind !== "http") return;
    const version =
      typeof result === "object" && result !== null
        ? (result as { protocolVersion?: unknown }).protocolVersion
        : undefined;
    if (typeof version === "string") this.#transport.transport.setProtocolVersion(version);
  }

  /** session/terminate: an HTTP upstream gets its DELETE (best effort, within `timeoutMs`), then the connection closes. */
  async terminate(log: Logger, timeoutMs: number): Promise<void> {
    if (this.#transport.kind === "http" && !this.isClosed) {
      const deleted = this.#transport.transport.terminateSession();
      await withTimeout(deleted, timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`)).catch(
        (error: unknown) => {
          log("debug", `${this.description}: DELETE failed: ${forLog(errorMessage(error))}`);
        },
      );
    }
    // For a DELETE still in flight, this aborts it.
    await this.close();
  }

  /** Idempotent. For stdio, resolves once the child has exited (stdin closed, then SIGTERM, then SIGKILL). */
  close(): Promise<void> {
    this.#closing ??= this.peer.close().catch(() => undefined);
    return this.#closing;
  }
}
