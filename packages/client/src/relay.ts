import {
  CANCELLED_NOTIFICATION,
  ConduitErrorCode,
  type AgentMessageFrame,
  type JsonRpcMessage,
  type RequestId,
  type UpstreamMessageFrame,
} from "@conduit/protocol";
import { errorMessage } from "./errors.js";
import { forLog } from "./log-text.js";
import type { Logger } from "./types.js";
import type { UpstreamConnection } from "./upstream/connection.js";
import type { UpstreamMessage } from "./upstream/jsonrpc-peer.js";

/** Upstream requests relayed to agents and not answered yet, per attach session (SPEC §10). */
export const MAX_RELAYED_UPSTREAM_REQUESTS = 1024;

interface RelayedUpstreamRequest {
  readonly connection: UpstreamConnection;
  /** The id the upstream gave it (the agent sees the minted one). */
  readonly upstreamId: string | number;
}

interface CallInFlight {
  readonly connection: UpstreamConnection;
  readonly upstreamId: number;
}

export interface RelayOptions {
  /** Sends an upstream_message frame; false when the socket could not take it. */
  send: (frame: UpstreamMessageFrame) => boolean;
  timeoutMs: number;
  log: Logger;
}

/**
 * The attach client's half of the relay (conduit.v2): what the upstreams send
 * while requests run goes to the API as upstream_message frames; the agents'
 * answers (agent_message) go back to the exact upstream request that asked;
 * a cancel from the API reaches the upstream with its own request id.
 *
 * Upstream request ids are per connection, and several connections share one
 * socket: each relayed upstream request gets an id minted here, unique per
 * socket (`u1`, `u2`, …), and the agent's answer is mapped back.
 */
export class Relay {
  readonly #options: RelayOptions;
  readonly #relayed = new Map<string, RelayedUpstreamRequest>();
  /** connection → upstream id → minted id, to translate the upstream's own cancels. */
  readonly #minted = new WeakMap<UpstreamConnection, Map<string | number, string>>();
  readonly #calls = new Map<RequestId, CallInFlight>();
  #nextMinted = 1;

  constructor(options: RelayOptions) {
    this.#options = options;
  }

  /** How many relayed upstream requests wait for an agent's answer. */
  get waiting(): number {
    return this.#relayed.size;
  }

  /** Remembers which upstream call a server_request became, so a cancel can find it. */
  track(serverRequestId: RequestId, connection: UpstreamConnection, upstreamId: number): void {
    this.#calls.set(serverRequestId, { connection, upstreamId });
  }

  untrack(serverRequestId: RequestId): void {
    this.#calls.delete(serverRequestId);
  }

  /** The API cancelled server_request `id`: the upstream gets notifications/cancelled with its own id. */
  cancel(serverRequestId: RequestId, reason: string | undefined): void {
    const call = this.#calls.get(serverRequestId);
    if (call === undefined) return;
    this.#calls.delete(serverRequestId);
    call.connection.peer.cancel(call.upstreamId, reason ?? "cancelled by the agent", this.#options.timeoutMs);
  }

  /** A message that belongs to server_request `serverRequestId` (progress, logging, sampling…). */
  interim(serverRequestId: RequestId, connection: UpstreamConnection, message: UpstreamMessage): void {
    this.#forward(connection, message, { id: serverRequestId });
  }

  /** A message that belongs to no request in flight: to the session's GET stream on the API. */
  unrelated(connection: UpstreamConnection, message: UpstreamMessage): void {
    const responseId = connection.responseId;
    if (responseId === undefined) {
      this.#refuse(connection, message, "no agent session for it");
      return;
    }
    this.#forward(connection, message, {
      response_id: responseId,
      ...(connection.sessionId === undefined ? {} : { session_id: connection.sessionId }),
    });
  }

  /** The agent answered a relayed upstream request: back to that upstream, with its own id. */
  answer(frame: AgentMessageFrame): void {
    const minted = frame.message.id;
    const entry = typeof minted === "string" ? this.#relayed.get(minted) : undefined;
    if (entry === undefined || entry.connection.mcp !== frame.mcp) {
      this.#options.log("debug", `agent_message for an unknown upstream request ${forLog(JSON.stringify(minted))}`);
      return;
    }
    this.#forget(minted as string, entry);
    const reply: JsonRpcMessage = { ...frame.message, id: entry.upstreamId };
    entry.connection.peer.respond(reply, this.#options.timeoutMs).catch((error: unknown) => {
      this.#options.log("debug", `${entry.connection.description}: answer not delivered: ${errorMessage(error)}`);
    });
  }

  /** The session ended: its relayed requests can no longer be answered. */
  dropConnection(connection: UpstreamConnection): void {
    for (const [minted, entry] of this.#relayed) if (entry.connection === connection) this.#relayed.delete(minted);
    this.#minted.delete(connection);
    for (const [id, call] of this.#calls) if (call.connection === connection) this.#calls.delete(id);
  }

  #forward(
    connection: UpstreamConnection,
    message: UpstreamMessage,
    place: { id: RequestId } | { response_id: string; session_id?: string },
  ): void {
    const relayed = this.#mint(connection, message);
    const frame: UpstreamMessageFrame = {
      type: "upstream_message",
      ...place,
      mcp: connection.mcp,
      message: relayed as JsonRpcMessage,
    };
    if (this.#options.send(frame)) return;
    if (relayed.id !== undefined) {
      const entry = this.#relayed.get(relayed.id as string);
      if (entry !== undefined) this.#forget(relayed.id as string, entry);
    }
    this.#refuse(connection, message, "the socket is closed");
  }

  /** Gives an upstream request a socket-unique id; translates the upstream's cancel of one. */
  #mint(connection: UpstreamConnection, message: UpstreamMessage): UpstreamMessage {
    if (message.id === undefined) {
      if (message.method !== CANCELLED_NOTIFICATION) return message;
      const params = message.params as { requestId?: unknown } | undefined;
      const requestId = params?.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") return message;
      const minted = this.#minted.get(connection)?.get(requestId);
      if (minted === undefined) return message;
      const entry = this.#relayed.get(minted);
      if (entry !== undefined) this.#forget(minted, entry);
      return { ...message, params: { ...params, requestId: minted } };
    }
    if (this.#relayed.size >= MAX_RELAYED_UPSTREAM_REQUESTS) this.#evictOldest();
    const minted = `u${this.#nextMinted++}`;
    this.#relayed.set(minted, { connection, upstreamId: message.id });
    let byUpstreamId = this.#minted.get(connection);
    if (byUpstreamId === undefined) {
      byUpstreamId = new Map();
      this.#minted.set(connection, byUpstreamId);
    }
    byUpstreamId.set(message.id, minted);
    return { ...message, id: minted };
  }

  #forget(minted: string, entry: RelayedUpstreamRequest): void {
    this.#relayed.delete(minted);
    this.#minted.get(entry.connection)?.delete(entry.upstreamId);
  }

  #evictOldest(): void {
    const oldest = this.#relayed.entries().next();
    if (oldest.done) return;
    const [minted, entry] = oldest.value;
    this.#forget(minted, entry);
    this.#respondError(entry.connection, entry.upstreamId, "the agent did not answer in time (too many waiting)");
  }

  /** An upstream request nobody can take is answered with an error at once; a notification is dropped. */
  #refuse(connection: UpstreamConnection, message: UpstreamMessage, reason: string): void {
    if (message.id === undefined) {
      this.#options.log("debug", `${connection.description}: dropped ${forLog(message.method)}: ${reason}`);
      return;
    }
    this.#respondError(connection, message.id, reason);
  }

  #respondError(connection: UpstreamConnection, id: string | number, reason: string): void {
    const reply: JsonRpcMessage = {
      jsonrpc: "2.0",
      id,
      error: { code: ConduitErrorCode.NoReverseChannel, message: `not delivered to the agent: ${reason}` },
    };
    connection.peer.respond(reply, this.#options.timeoutMs).catch(() => undefined);
  }
}
