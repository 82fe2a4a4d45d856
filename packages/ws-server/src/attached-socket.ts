import {
  CloseCode,
  ErrorFrameCode,
  frameText,
  protocolVersionOf,
  type Chunk,
  type ClientResponseFrame,
  type ServerFrame,
} from "@conduit/protocol";
import { ReverseAttachGuard, ReverseChannel, SessionTracker, type ReverseAttachHandle } from "@conduit/registry";
import type { RawData, WebSocket } from "ws";
import { Backpressure } from "./backpressure.js";
import { rawSocketOf } from "./raw-sockets.js";
import { BodySlot, parseBodyFrame, type BodyResult, type BodyValidator } from "./body-frame.js";
import { Heartbeat } from "./heartbeat.js";
import { InvalidFrames } from "./invalid-frames.js";
import { clip, errText } from "./logger.js";
import type { ResolvedOptions } from "./options.js";
import { ReceiveLoop } from "./receive-loop.js";
import { closeReason, errorFrame } from "./wire.js";
import { closeCodeForWsError } from "./ws-errors.js";

export interface SocketClosed {
  code: number;
  reason: string;
}

/** One WebSocket taken over by a AttachedSockets (see the README for the life cycle). */
export interface AttachedSocket {
  /**
   * Reads the first frame as JSON and validates it. A binary frame, invalid
   * JSON or a validation failure sends one error frame (400) and closes 1003;
   * all of those, and a socket that ends before its body, resolve `{ ok: false }`.
   * May be called once; a second call rejects.
   */
  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>>;
  /**
   * Sends one chunk frame, recording `chunk.id` in the tracker first.
   * Resolves true when the socket can take more (it waits while more than
   * `highWaterMark` bytes are buffered) and false — never rejects — once the
   * socket is closing or closed. Rejects only for a chunk that cannot be
   * encoded as JSON (a caller bug).
   */
  send(chunk: Chunk): Promise<boolean>;
  /**
   * Registers an agent's response id on this socket: the MCP route then
   * forwards that agent's requests here. False (nothing done) once the socket
   * ended; throws RegistrationLimitError (@conduit/registry) past `maxIdsPerSocket`.
   */
  register(responseId: string): boolean;
  /** Sets the mcps the stream's body declared: the only ones the MCP route serves for this socket's agents. */
  declare(mcps: Iterable<string>): void;
  /** The response ids registered on this socket and still owned by it. */
  readonly responseIds: ReadonlySet<string>;
  /** server_requests sent on this socket and still awaiting their answer. */
  readonly pendingCount: number;
  /** Aborted when the socket ends for any reason. */
  readonly signal: AbortSignal;
  /**
   * Resolves with the close code and reason once the socket closed and
   * cleanup ran: the peer's code, 1006 when the handshake did not complete,
   * or the code `ws` sent itself on a protocol error (1009 frame too large).
   */
  readonly closed: Promise<SocketClosed>;
  /** Closes with 1000 behind everything already sent; resolves once closed. */
  finish(): Promise<void>;
  /** Sends `{ type: "error", error }` then closes with `closeCode` (default 1011); resolves once closed. */
  fail(error: { code: number; message: string }, closeCode?: number): Promise<void>;
}

const RESOLVED_FALSE = Promise.resolve(false);

/**
 * The AttachedSocket implementation. `close` and `terminate` are for
 * AttachedSockets.closeAll; the parts (guard, channel, tracker) are for the
 * package and its tests only.
 */
export class SocketSession implements AttachedSocket {
  readonly guard: ReverseAttachGuard;
  readonly handle: ReverseAttachHandle;
  readonly channel: ReverseChannel;
  readonly tracker = new SessionTracker();
  readonly signal: AbortSignal;
  readonly closed: Promise<SocketClosed>;

  readonly #socket: WebSocket;
  readonly #options: ResolvedOptions;
  readonly #abort = new AbortController();
  readonly #body: BodySlot;
  readonly #loop: ReceiveLoop;
  readonly #heartbeat: Heartbeat;
  readonly #invalidFrames: InvalidFrames;
  readonly #backpressure: Backpressure;
  #resolveClosed: (closed: SocketClosed) => void = () => {};
  #bodyRequested = false;
  #readPaused = false;
  #released = false;
  #protocolErrorCode: number | undefined;

  constructor(socket: WebSocket, options: ResolvedOptions) {
    this.#socket = socket;
    this.#options = options;
    this.signal = this.#abort.signal;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.channel = new ReverseChannel({
      write: (frame) => this.#writeControl(frame),
      maxPending: options.maxPending,
      timeoutMs: options.timeoutMs,
      protocol: protocolVersionOf(socket.protocol),
    });
    this.guard = new ReverseAttachGuard(options.registry, this.channel, { maxIds: options.maxIdsPerSocket });
    this.handle = this.guard.handle;
    this.#backpressure = new Backpressure(socket, options.highWaterMark, rawSocketOf(socket));
    this.#body = new BodySlot(options.bodyTimeoutMs, () => {
      options.logger.info({ timeoutMs: options.bodyTimeoutMs }, "no body frame in time");
      void this.fail(
        { code: ErrorFrameCode.BodyTimeout, message: `no body frame within ${options.bodyTimeoutMs} ms` },
        CloseCode.Policy,
      );
    });
    this.#invalidFrames = new InvalidFrames({
      max: options.maxInvalidFrames,
      windowMs: options.invalidFrameWindowMs,
      logger: options.logger,
      onExceeded: () => {
        void this.fail(
          {
            code: ErrorFrameCode.LimitExceeded,
            message: `too many invalid frames (more than ${options.maxInvalidFrames} per ${options.invalidFrameWindowMs} ms)`,
          },
          CloseCode.Policy,
        );
      },
    });
    this.#loop = new ReceiveLoop({
      channel: this.channel,
      guard: this.guard,
      tracker: this.tracker,
      streams: options.streams,
      notify: options.notify,
      elicitationResponse: options.elicitationResponse,
      logger: options.logger,
      reply: (frame) => this.#reply(frame),
      dropped: (frame) => this.#invalidFrames.drop(frame),
    });
    this.#heartbeat = new Heartbeat({
      intervalMs: options.heartbeatMs,
      idleTimeoutMs: options.idleTimeoutMs,
      ping: (payload) => this.#ping(payload),
      onIdle: () => {
        options.logger.info({ idleTimeoutMs: options.idleTimeoutMs }, "pings unanswered too long, terminating");
        socket.terminate();
      },
    });

    socket.on("message", this.#onMessage);
    socket.on("pong", this.#onPong);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    if (socket.readyState === socket.CLOSED) this.#onClose(CloseCode.Abnormal, Buffer.alloc(0));
  }

  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>> {
    if (this.#bodyRequested) return Promise.reject(new Error("readBody() may be called once per socket"));
    this.#bodyRequested = true;
    return this.#readBody(validate);
  }

  register(responseId: string): boolean {
    return this.guard.register(responseId);
  }

  declare(mcps: Iterable<string>): void {
    this.channel.declare(mcps);
  }

  get responseIds(): ReadonlySet<string> {
    return this.guard.ids;
  }

  get pendingCount(): number {
    return this.channel.pending.size;
  }

  send(chunk: Chunk): Promise<boolean> {
    if (this.#released || this.#socket.readyState !== this.#socket.OPEN) return RESOLVED_FALSE;
    this.tracker.observe(chunk);
    let text: string;
    try {
      text = frameText({ type: "chunk", data: chunk });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.#backpressure.write(text);
  }

  finish(): Promise<void> {
    return this.close(CloseCode.Normal, "");
  }

  fail(error: { code: number; message: string }, closeCode: number = CloseCode.InternalError): Promise<void> {
    return this.#end(closeCode, error.message, error);
  }

  /** Closes with `code` (no error frame); resolves once closed. */
  close(code: number, reason: string): Promise<void> {
    return this.#end(code, reason, undefined);
  }

  /** Destroys the socket without a close handshake. */
  terminate(): void {
    this.#socket.terminate();
  }

  async #readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>> {
    const frame = await this.#body.take();
    if (frame === undefined) return { ok: false };
    const parsed = parseBodyFrame(frame, validate);
    if (parsed.ok) return parsed;
    this.#options.logger.info({ code: parsed.error.code, reason: clip(parsed.error.message) }, "body frame refused");
    void this.fail(parsed.error, parsed.closeCode);
    return { ok: false };
  }

  #end(code: number, reason: string, error: { code: number; message: string } | undefined): Promise<void> {
    const socket = this.#socket;
    if (socket.readyState === socket.OPEN) {
      if (error !== undefined) socket.send(frameText(errorFrame(error)));
      try {
        socket.close(code, closeReason(reason));
      } catch (err) {
        // An invalid close code from the caller: end the socket anyway.
        this.#options.logger.warn({ code, err: errText(err) }, "close failed, terminating");
        socket.terminate();
      }
    }
    // The stream is over for us as soon as our close frame is out.
    this.#release();
    return this.closed.then(() => undefined);
  }

  /** The reverse channel's writer: encodes first, so a frame that cannot be encoded throws FrameEncodeError. */
  #writeControl(frame: ServerFrame): void {
    const text = frameText(frame);
    if (this.#socket.readyState !== this.#socket.OPEN) throw new Error("the websocket is not open");
    this.#backpressure.writeControl(text);
  }

  #reply(frame: ClientResponseFrame): void {
    const socket = this.#socket;
    if (socket.readyState !== socket.OPEN) return;
    this.#backpressure.writeControl(frameText(frame));
    // A client that sends requests without reading the answers would make them pile up without
    // bound: stop reading its frames until they drain, so TCP pushes back on the client instead.
    if (this.#readPaused || socket.bufferedAmount <= this.#options.highWaterMark) return;
    this.#readPaused = true;
    socket.pause();
    // Resumed on close too (drained() then says false): frames are ignored by then, but the peer's close frame is read.
    void this.#backpressure.drained().then(() => {
      this.#readPaused = false;
      socket.resume();
    });
  }

  #ping(payload: Buffer): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.ping(payload);
  }

  // Only an answer to our own ping is life (SPEC §10): a peer that stops reading but keeps sending
  // frames, pings or unsolicited pongs cannot hold its socket and our buffered output forever.
  readonly #onPong = (payload: Buffer): void => {
    this.#heartbeat.pong(payload);
  };

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    // Once we are closing, the stream is over: a notify or list_changed has nobody left to reach.
    if (this.#released) return;
    if (!this.#body.received) this.#body.offer({ data, isBinary });
    else this.#loop.handle(data, isBinary);
  };

  readonly #onError = (err: Error): void => {
    const code = "code" in err && typeof err.code === "string" ? err.code : undefined;
    this.#protocolErrorCode ??= closeCodeForWsError(code);
    this.#options.logger.warn({ code, err: clip(err.message) }, "websocket error");
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#release();
    this.#socket.off("message", this.#onMessage);
    const reported =
      code === CloseCode.Abnormal && this.#protocolErrorCode !== undefined ? this.#protocolErrorCode : code;
    this.#resolveClosed({ code: reported, reason: reason.toString("utf8") });
  };

  /** Runs once, on the first of: our close, the socket's close. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    const { logger, streams } = this.#options;
    this.#heartbeat.stop();
    this.#invalidFrames.summary();
    this.#body.end();
    this.#backpressure.close();
    // Only the ids this socket still owned: one another socket took over keeps its streams.
    const ids = this.guard.release();
    if (ids.length > 0) {
      try {
        streams.onReleased(ids);
      } catch (err) {
        logger.warn({ ids: ids.length, err: errText(err) }, "onReleased hook failed");
      }
    }
    const failed = this.channel.close("websocket closed before the answer");
    this.#abort.abort(new Error("websocket closed"));
    logger.debug({ ids: ids.length, failed }, "socket released");
  }
}
