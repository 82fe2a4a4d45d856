import {
  errorMessage,
  webSocketDataText,
  ConduitErrorCode,
  JsonRpcErrorCode,
  RequestIdSchema,
  decodeClientFrame,
  jsonRpcRequestId,
  shortId,
  type AgentCompletionNotifyFrame,
  type ClientResponseFrame,
  type ElicitationAction,
  type ElicitationContent,
  type ElicitationResponseFrame,
  type Logger,
  type UpstreamMessageFrame,
  type DecodeError,
  type McpListChangedFrame,
  type RequestId,
  type ServerResponseFrame,
  type WireError,
} from "@conduit/protocol";
import type { ReverseAttachGuard, ReverseChannel, SessionTracker } from "@conduit/registry";
import type { RawData } from "ws";
import type { DroppedFrame } from "./invalid-frames.js";
import { clip, clipId, errText } from "./logger.js";
import type { StreamHooks } from "./stream-hooks.js";
import { clientResponseFrame } from "./wire.js";

export type NotifyHandler = (responseId: string, content: string) => void | Promise<void>;

/** The user's answer to an `elicitation` chunk; throw/reject with an integer `code` to answer that code. */
export type ElicitationResponseHandler = (
  responseId: string,
  elicitationId: string,
  action: ElicitationAction,
  content: ElicitationContent | undefined,
) => void | Promise<void>;

export interface ReceiveLoopParts {
  channel: ReverseChannel;
  guard: ReverseAttachGuard;
  tracker: SessionTracker;
  streams: StreamHooks;
  notify: NotifyHandler;
  /** Unset: `elicitation_response` is answered -32601. */
  elicitationResponse: ElicitationResponseHandler | undefined;
  logger: Logger;
  /** Writes one control frame (client_response) if the socket is still open. */
  reply(frame: ClientResponseFrame): void;
  /** Told of every frame dropped as unusable; it logs and counts them. */
  dropped(frame: DroppedFrame): void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "agent_completion_notify",
  "mcp_list_changed",
  "elicitation_response",
]);
const UNKNOWN_RESPONSE_ID = "unknown response_id for this stream";

/** The error a failed handler answers with: its own integer `code` (the wire allows no other), else -32603. */
function handlerError(method: string, err: unknown): WireError {
  if (
    typeof err === "object" &&
    err !== null &&
    "code" in err &&
    typeof err.code === "number" &&
    Number.isSafeInteger(err.code)
  ) {
    const message = "message" in err && typeof err.message === "string" ? err.message : `${method} failed`;
    return { code: err.code, message };
  }
  return { code: JsonRpcErrorCode.InternalError, message: `${method} failed` };
}

/**
 * Handles every frame after the body (SPEC §4 client → server 2-4). A frame
 * it cannot use is dropped and reported to `dropped`; nothing here closes the socket.
 */
export class ReceiveLoop {
  readonly #parts: ReceiveLoopParts;

  constructor(parts: ReceiveLoopParts) {
    this.#parts = parts;
  }

  handle(data: RawData, isBinary: boolean): void {
    try {
      this.#handle(data, isBinary);
    } catch (err) {
      // Anything thrown here would escape the socket's 'message' event and end the process
      // (e.g. a frame nested deeply enough to overflow the stack): log it and drop the frame.
      this.#parts.dropped({ kind: "thrown", reason: errorMessage(err) });
    }
  }

  #handle(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#parts.dropped({ kind: "binary", bytes: byteLength(data) });
      return;
    }
    const text = webSocketDataText(data);
    const decoded = decodeClientFrame(text, this.#parts.channel.protocol);
    if (!decoded.ok) {
      this.#dropped(text, decoded.error);
      return;
    }
    const frame = decoded.value;
    if (frame.type === "server_response") this.#serverResponse(frame);
    else if (frame.type === "upstream_message") this.#upstreamMessage(frame);
    else if (frame.method === "agent_completion_notify") this.#notify(frame);
    else if (frame.method === "elicitation_response") this.#elicitationResponse(frame);
    else this.#listChanged(frame);
  }

  /**
   * v2: a message from an upstream. With an `id` it belongs to that request in
   * flight (the route streams it on the request's POST answer); without, it
   * goes to one GET stream of (response_id, mcp). An upstream request that
   * nobody can take is answered at once with an error, so the upstream is
   * never left waiting.
   */
  #upstreamMessage(frame: UpstreamMessageFrame): void {
    const { channel } = this.#parts;
    const message = frame.message;
    if (frame.id !== undefined) {
      if (!channel.deliverMessage(frame.id, message)) {
        this.#refuseUpstreamRequest(frame, "the request it belongs to has ended");
      }
      return;
    }
    const responseId = frame.response_id;
    if (responseId === undefined || !this.#parts.guard.owns(responseId)) {
      this.#refuseUpstreamRequest(frame, "no agent on this stream for that response_id");
      return;
    }
    const requestId = jsonRpcRequestId(message);
    if (requestId !== undefined) channel.relayed.add(requestId, { responseId, mcp: frame.mcp });
    let delivered = false;
    try {
      delivered = this.#parts.streams.onUpstreamMessage(
        responseId,
        frame.mcp,
        frame.session_id,
        JSON.stringify(message),
      );
    } catch (err) {
      this.#parts.logger.warn({ err: errText(err) }, "upstream message not delivered");
    }
    if (delivered) return;
    if (requestId !== undefined) channel.relayed.take(requestId, responseId, frame.mcp);
    this.#refuseUpstreamRequest(frame, "the agent has no open stream for it");
  }

  /** Answers an upstream request (not a notification) with an error, through the attach client. */
  #refuseUpstreamRequest(frame: UpstreamMessageFrame, reason: string): void {
    const id = jsonRpcRequestId(frame.message);
    if (id === undefined) {
      this.#parts.logger.debug({ mcp: frame.mcp }, `upstream notification dropped: ${reason}`);
      return;
    }
    this.#parts.channel.sendAgentMessage(
      frame.mcp,
      {},
      { jsonrpc: "2.0", id, error: { code: ConduitErrorCode.NoReverseChannel, message: `not delivered: ${reason}` } },
    );
  }

  #serverResponse(frame: ServerResponseFrame): void {
    if (!this.#parts.channel.deliver(frame)) {
      this.#parts.logger.debug({ id: clipId(frame.id) }, "server_response for an unknown or settled request dropped");
    }
  }

  #notify(frame: AgentCompletionNotifyFrame): void {
    const { response_id: responseId, content } = frame.params;
    const notify = this.#parts.notify;
    this.#runHandler(frame, responseId, () => notify(responseId, content));
  }

  /** The same SessionTracker rule as a notify: only an id this stream's chunks named reaches the handler. */
  #elicitationResponse(frame: ElicitationResponseFrame): void {
    const handler = this.#parts.elicitationResponse;
    if (handler === undefined) {
      this.#answer(frame.id, { code: JsonRpcErrorCode.MethodNotFound, message: "elicitation_response is not served" });
      return;
    }
    const params = frame.params;
    const content = params.action === "accept" ? params.content : undefined;
    this.#runHandler(frame, params.response_id, () =>
      handler(params.response_id, params.elicitation_id, params.action, content),
    );
  }

  /** 404 unless `responseId` appeared in this stream's chunks; else runs `handler` and answers with its outcome. */
  #runHandler(
    frame: AgentCompletionNotifyFrame | ElicitationResponseFrame,
    responseId: string,
    handler: () => void | Promise<void>,
  ): void {
    if (!this.#parts.tracker.has(responseId)) {
      this.#parts.logger.debug({ responseId: shortId(responseId) }, `${frame.method} for an id not in this stream`);
      this.#answer(frame.id, { code: 404, message: UNKNOWN_RESPONSE_ID });
      return;
    }
    // Not awaited: a slow handler must never hold up the frames behind it.
    let outcome: void | Promise<void>;
    try {
      outcome = handler();
    } catch (err) {
      this.#handlerFailed(frame, err);
      return;
    }
    Promise.resolve(outcome).then(
      () => this.#answer(frame.id),
      (err: unknown) => this.#handlerFailed(frame, err),
    );
  }

  #handlerFailed(frame: AgentCompletionNotifyFrame | ElicitationResponseFrame, err: unknown): void {
    const error = handlerError(frame.method, err);
    this.#parts.logger.warn(
      { id: clipId(frame.id), code: error.code, err: errText(err) },
      `${frame.method} handler failed`,
    );
    this.#answer(frame.id, error);
  }

  #listChanged(frame: McpListChangedFrame): void {
    const { mcp, list } = frame.params;
    let signalled = 0;
    // An id another socket registered since lives there now: its streams are not ours to signal.
    for (const responseId of this.#parts.guard.ownedIds()) {
      try {
        signalled += this.#parts.streams.onListChanged(responseId, mcp, list);
      } catch (err) {
        // A throwing subscriber must not keep the signal from the other ids.
        this.#parts.logger.warn(
          { responseId: shortId(responseId), mcp: clip(mcp), err: errText(err) },
          "list_changed subscriber failed",
        );
      }
    }
    this.#parts.logger.debug(
      { mcp: clip(mcp), list, ids: this.#parts.guard.ids.size, signalled },
      "mcp_list_changed published",
    );
    this.#answer(frame.id);
  }

  #dropped(text: string, error: DecodeError): void {
    this.#parts.dropped({ kind: error.kind, reason: error.message });
    if (error.kind !== "invalid_frame") return;
    // A client_request whose id we can read still deserves an answer.
    const request = readableRequest(text);
    if (request === undefined) return;
    const known = typeof request.method === "string" && KNOWN_METHODS.has(request.method);
    this.#answer(
      request.id,
      known
        ? { code: JsonRpcErrorCode.InvalidParams, message: error.message }
        : {
            code: JsonRpcErrorCode.MethodNotFound,
            message: `unknown method ${describeMethod(request.method)}`,
          },
    );
  }

  #answer(id: RequestId, error?: WireError): void {
    this.#parts.reply(clientResponseFrame(id, error));
  }
}

function readableRequest(text: string): { id: RequestId; method: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || !("type" in value) || value.type !== "client_request")
    return undefined;
  if (!("id" in value)) return undefined;
  const id = RequestIdSchema.safeParse(value.id);
  if (!id.success) return undefined;
  return { id: id.data, method: "method" in value ? value.method : undefined };
}

/** A short description of an unknown `method`; only a string is quoted (stringifying any JSON value could overflow the stack). */
function describeMethod(method: unknown): string {
  if (typeof method === "string") return JSON.stringify(method.slice(0, 62));
  if (typeof method === "object")
    return method === null ? "null" : Array.isArray(method) ? "(an array)" : "(an object)";
  return String(method);
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}
