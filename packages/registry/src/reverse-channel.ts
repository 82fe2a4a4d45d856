import {
  ConduitError,
  ConduitErrorCode,
  FrameEncodeError,
  JsonRpcErrorCode,
  errorMessage,
  type AgentMessageFrame,
  type CancelFrame,
  type JsonRpcMessage,
  type McpKind,
  type ProtocolVersion,
  type RequestId,
  type ServerFrame,
  type ServerRequestFrame,
  type ServerResponseFrame,
} from "@conduit/protocol";
import { PendingRequests, type PendingRequestOptions, type PendingRequestsOptions } from "./pending-requests.js";
import { RelayedRequests } from "./relayed-requests.js";

/**
 * Encodes and writes one frame to the socket. Throws FrameEncodeError (from
 * @conduit/protocol) when the frame cannot be encoded, anything else when the
 * socket cannot take it.
 */
export type FrameWriter = (frame: ServerFrame) => void;

export interface ReverseChannelOptions extends PendingRequestsOptions {
  write: FrameWriter;
  /** The negotiated protocol: 2 relays interim messages and cancels; 1 does neither. Default 2. */
  protocol?: ProtocolVersion;
  /** Upstream requests relayed to agents and not answered yet (SPEC §10). Default 1024. */
  maxRelayed?: number;
}

/** What a server_request carries besides its id. */
export interface ServerRequestInit {
  mcp: McpKind;
  method: string;
  params?: unknown;
  headers: Record<string, string>;
}

/** A forwarded request in flight: its socket id, its answer, and how to cancel it. */
export interface Exchange {
  readonly id: number;
  /** The final answer (which may carry an upstream's own error), or a ConduitError for the conduit's failures. */
  readonly answer: Promise<ServerResponseFrame>;
}

/** Why a server_request was not sent: a frame that cannot be encoded is -32603, anything else a closed channel. */
function sendFailure(err: unknown): ConduitError {
  if (err instanceof FrameEncodeError) {
    return new ConduitError(JsonRpcErrorCode.InternalError, `server_request not sent: ${err.message}`);
  }
  return new ConduitError(ConduitErrorCode.ChannelClosed, `reverse channel could not send: ${errorMessage(err)}`);
}

/**
 * One WebSocket's reverse channel: the sink that writes frames to the attach
 * client, the table of requests waiting for its answers, the upstream
 * requests relayed to agents, and the mcps the stream declared. Many response
 * ids (one per agent of a swarm) map to one channel.
 */
export class ReverseChannel {
  readonly pending: PendingRequests;
  readonly relayed: RelayedRequests;
  readonly protocol: ProtocolVersion;
  readonly #write: FrameWriter;
  #declared: ReadonlySet<string> = new Set();
  #nextId = 1;

  constructor(options: ReverseChannelOptions) {
    this.#write = options.write;
    this.protocol = options.protocol ?? 2;
    this.pending = new PendingRequests(options);
    this.relayed = new RelayedRequests(options.maxRelayed);
  }

  get closed(): boolean {
    return this.pending.closed;
  }

  /** Sets the mcps the stream's request declared (`client_objectiveai_mcp.mcps`): the only ones the route serves. */
  declare(mcps: Iterable<string>): void {
    this.#declared = new Set(mcps);
  }

  /** Whether the stream declared `mcp`. Nothing is allowed before declare(): fail closed. */
  allows(mcp: string): boolean {
    return this.#declared.has(mcp);
  }

  get declared(): ReadonlySet<string> {
    return this.#declared;
  }

  /**
   * Mints an id, registers the waiter, writes the server_request and applies
   * the timeout. The answer resolves with the attach client's server_response
   * (which may carry an upstream's own JSON-RPC error) and rejects with a
   * ConduitError for the conduit's failures (-32002, -32003, -32005). On a v2
   * channel, interim messages reach `options.onMessage` first, and an abort of
   * `options.signal` or a timeout also cancels the request on the attach client.
   */
  open(init: ServerRequestInit, options: PendingRequestOptions = {}): Exchange {
    const id = this.#nextId++;
    // v2: whenever the waiting ends without an answer, the attach client is told, so the upstream stops working on it.
    const answer = this.pending.request(
      { id },
      this.protocol === 2
        ? {
            ...options,
            onAbort: () => this.#sendCancel(id, "the HTTP client went away"),
            onTimeout: (message) => this.#sendCancel(id, `timed out: ${message}`),
          }
        : options,
    );
    if (!this.pending.has(id)) return { id, answer };
    const frame: ServerRequestFrame = {
      type: "server_request",
      id,
      mcp: init.mcp,
      method: init.method,
      params: init.params,
      headers: init.headers,
    };
    try {
      this.#write(frame);
    } catch (err) {
      this.pending.reject(id, sendFailure(err));
    }
    return { id, answer };
  }

  /** open() for callers that only want the answer. */
  request(init: ServerRequestInit, options?: PendingRequestOptions): Promise<ServerResponseFrame> {
    return this.open(init, options).answer;
  }

  /**
   * Cancels a request in flight: it settles at once with -32800, and on a v2
   * channel the attach client is told (it cancels the upstream's request).
   * Returns false when the request had already settled.
   */
  cancel(id: number, reason: string): boolean {
    const cancelled = this.pending.reject(
      id,
      new ConduitError(ConduitErrorCode.Cancelled, `request cancelled: ${reason}`),
    );
    if (cancelled) this.#sendCancel(id, reason);
    return cancelled;
  }

  /** Hands a server_response to its waiter; a late or unknown one is dropped (returns false). */
  deliver(frame: ServerResponseFrame): boolean {
    return this.pending.resolve(frame);
  }

  /** Hands an interim message to the request `id` belongs to; false (dropped) when it has settled. */
  deliverMessage(id: RequestId, message: JsonRpcMessage): boolean {
    return this.pending.message(id, message);
  }

  /**
   * Sends the agent's answer to a relayed upstream request (v2). The caller
   * has already checked (relayed.take) that this agent may answer it.
   * Returns false when the socket could not take it.
   */
  sendAgentMessage(mcp: McpKind, headers: Record<string, string>, message: JsonRpcMessage): boolean {
    if (this.protocol !== 2 || this.closed) return false;
    const frame: AgentMessageFrame = { type: "agent_message", mcp, headers, message };
    try {
      this.#write(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the channel: every pending request fails with -32002 at once, new ones are refused. */
  close(message?: string): number {
    this.relayed.clear();
    return this.pending.close(message);
  }

  #sendCancel(id: number, reason: string): void {
    if (this.protocol !== 2 || this.closed) return;
    const frame: CancelFrame = { type: "cancel", id, reason: reason.slice(0, 1024) };
    try {
      this.#write(frame);
    } catch {
      // The socket is going away; the attach client drops its work with it.
    }
  }
}
