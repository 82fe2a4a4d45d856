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
  return new HostSession(id, request, parts, connectedAt);
}

/**
 * A class rather than an object literal: there is one per attached socket, and
 * a literal with getters and a dozen closures costs about 1.5 KiB of heap more
 * per socket (measured by e2e/bench/idle-sockets.bench.mjs).
 */
class HostSession implements ConduitSession {
  readonly id: string;
  readonly request: IncomingMessage;
  readonly remoteAddress: string | undefined;
  readonly subprotocol: string;
  readonly connectedAt: Date;
  readonly signal: AbortSignal;
  readonly closed: Promise<SessionClosed>;
  readonly #parts: SocketParts;
  #declared: readonly string[] = [];

  constructor(id: string, request: IncomingMessage, parts: SocketParts, connectedAt: Date) {
    this.id = id;
    this.request = request;
    this.remoteAddress = request.socket.remoteAddress;
    this.subprotocol = parts.subprotocol;
    this.connectedAt = connectedAt;
    this.signal = parts.signal;
    this.closed = parts.closed;
    this.#parts = parts;
  }

  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>> {
    return this.#parts.readBody(validate);
  }

  declare(mcps: readonly string[]): void {
    this.#declared = [...new Set(mcps)];
    this.#parts.declare(this.#declared);
  }

  get declaredMcps(): readonly string[] {
    return this.#declared;
  }

  register(responseId: string): boolean {
    return this.#parts.register(responseId);
  }

  get responseIds(): ReadonlySet<string> {
    return this.#parts.responseIds;
  }

  get inFlight(): number {
    return this.#parts.inFlight;
  }

  send(chunk: Chunk): Promise<boolean> {
    return this.#parts.send(chunk);
  }

  finish(): Promise<void> {
    return this.#parts.finish();
  }

  fail(error: { code: number; message: string }, closeCode?: number): Promise<void> {
    return this.#parts.fail(error, closeCode);
  }
}
