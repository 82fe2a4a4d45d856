import { ConduitErrorCode, type McpKind, type ServerRequestFrame, type ServerResponseFrame } from "@conduit/protocol";
import { ConduitError } from "./conduit-error.js";
import { PendingRequests, type PendingRequestOptions, type PendingRequestsOptions } from "./pending-requests.js";

/** Writes one text frame to the socket; throws when the socket cannot take it. */
export type FrameWriter = (text: string) => void;

export interface ReverseChannelOptions extends PendingRequestsOptions {
  write: FrameWriter;
}

/** What a server_request carries besides its id. */
export interface ServerRequestInit {
  mcp: McpKind;
  method: string;
  params?: unknown;
  headers: Record<string, string>;
}

/**
 * One WebSocket's reverse channel: the sink that writes frames to the attach
 * client and the table of requests waiting for its answers. Many response ids
 * (one per agent of a swarm) map to one channel.
 */
export class ReverseChannel {
  readonly pending: PendingRequests;
  readonly #write: FrameWriter;
  #nextId = 1;

  constructor(options: ReverseChannelOptions) {
    this.#write = options.write;
    this.pending = new PendingRequests(options);
  }

  get closed(): boolean {
    return this.pending.closed;
  }

  /**
   * Mints an id, registers the waiter, writes the server_request and applies
   * the timeout. Resolves with the attach client's server_response (which may
   * carry an upstream's own JSON-RPC error); rejects with a ConduitError for
   * the conduit's failures (-32002, -32003, -32005).
   */
  request(init: ServerRequestInit, options?: PendingRequestOptions): Promise<ServerResponseFrame> {
    const id = this.#nextId++;
    const answer = this.pending.request({ id }, options);
    if (!this.pending.has(id)) return answer;
    const frame: ServerRequestFrame = {
      type: "server_request",
      id,
      mcp: init.mcp,
      method: init.method,
      params: init.params,
      headers: init.headers,
    };
    try {
      this.#write(JSON.stringify(frame));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.pending.reject(
        id,
        new ConduitError(ConduitErrorCode.ChannelClosed, `reverse channel could not send: ${reason}`),
      );
    }
    return answer;
  }

  /** Hands a server_response to its waiter; a late or unknown one is dropped (returns false). */
  deliver(frame: ServerResponseFrame): boolean {
    return this.pending.resolve(frame);
  }

  /** Closes the channel: every pending request fails with -32002 at once, new ones are refused. */
  close(message?: string): number {
    return this.pending.close(message);
  }
}
