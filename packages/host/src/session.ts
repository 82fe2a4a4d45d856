import type { IncomingMessage } from "node:http";
import type { Chunk } from "@conduit/protocol";

export type BodyValidator<T> = (json: unknown) => { ok: true; value: T } | { ok: false; message: string };
export type BodyResult<T> = { ok: true; value: T } | { ok: false };

export interface SessionClosed {
  code: number;
  reason: string;
}

/** What the wiring gives for one accepted socket (see wiring.ts); the session adds its own bookkeeping. */
export interface SocketParts {
  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>>;
  declare(mcps: readonly string[]): void;
  register(responseId: string): boolean;
  send(chunk: Chunk): Promise<boolean>;
  finish(): Promise<void>;
  fail(error: { code: number; message: string }, closeCode?: number): Promise<void>;
  readonly responseIds: ReadonlySet<string>;
  readonly inFlight: number;
  readonly subprotocol: string;
  readonly signal: AbortSignal;
  readonly closed: Promise<SessionClosed>;
}

/**
 * One attached WebSocket, as the embedder sees it: read the request body,
 * declare the mcps the loopback listener may serve for it, register the
 * response ids of the agents it runs, stream their chunks, then finish.
 */
export interface ConduitSession {
  /** `sock_<n>`, unique in this host: for logs and the admin listing. */
  readonly id: string;
  /** The upgrade request (headers, URL, the peer's socket). */
  readonly request: IncomingMessage;
  readonly remoteAddress: string | undefined;
  /** The negotiated subprotocol, `conduit.v2` or `conduit.v1`. */
  readonly subprotocol: string;
  readonly connectedAt: Date;
  /**
   * Reads the first frame as JSON and validates it. An invalid body gets an
   * error frame (400) and close 1003; that, or a socket that ends first,
   * resolves `{ ok: false }`. Once per session.
   */
  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>>;
  /** The mcps the body declared: the only ones the loopback route serves for this session's ids. Nothing before. */
  declare(mcps: readonly string[]): void;
  readonly declaredMcps: readonly string[];
  /**
   * Routes MCP requests carrying `X-OBJECTIVEAI-RESPONSE-ID: responseId` to
   * this socket. False once the socket ended; throws RegistrationLimitError
   * past `maxIdsPerSocket`.
   */
  register(responseId: string): boolean;
  /** The ids registered and not yet released. */
  readonly responseIds: ReadonlySet<string>;
  /** MCP requests sent down this socket and not answered yet. */
  readonly inFlight: number;
  /** Sends one chunk frame; false (never a rejection) once the socket is closing. Waits while the socket's buffer is full. */
  send(chunk: Chunk): Promise<boolean>;
  /** Closes 1000 behind everything sent: the stream is complete. */
  finish(): Promise<void>;
  /** Sends an error frame and closes with `closeCode` (default 1011). */
  fail(error: { code: number; message: string }, closeCode?: number): Promise<void>;
  /** Aborted when the socket ends for any reason. */
  readonly signal: AbortSignal;
  readonly closed: Promise<SessionClosed>;
}

export function createSession(
  id: string,
  request: IncomingMessage,
  parts: SocketParts,
  connectedAt = new Date(),
): ConduitSession {
  let declared: readonly string[] = [];
  return {
    id,
    request,
    remoteAddress: request.socket.remoteAddress,
    subprotocol: parts.subprotocol,
    connectedAt,
    readBody: (validate) => parts.readBody(validate),
    declare(mcps) {
      declared = [...new Set(mcps)];
      parts.declare(declared);
    },
    get declaredMcps() {
      return declared;
    },
    register: (responseId) => parts.register(responseId),
    get responseIds() {
      return parts.responseIds;
    },
    get inFlight() {
      return parts.inFlight;
    },
    send: (chunk) => parts.send(chunk),
    finish: () => parts.finish(),
    fail: (error, closeCode) => parts.fail(error, closeCode),
    signal: parts.signal,
    closed: parts.closed,
  };
}
