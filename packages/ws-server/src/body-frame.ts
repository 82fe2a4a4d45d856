import { errorMessage, webSocketDataText, CloseCode, ErrorFrameCode } from "@conduit/protocol";
import type { RawData } from "ws";

export type BodyValidator<T> = (json: unknown) => { ok: true; value: T } | { ok: false; message: string };

export type BodyResult<T> = { ok: true; value: T } | { ok: false };

export interface RawFrame {
  data: RawData;
  isBinary: boolean;
}

/** Why a body frame was refused: the error frame to send and the close code after it. */
export interface BodyRefusal {
  ok: false;
  error: { code: number; message: string };
  closeCode: number;
}

function refuse(message: string): BodyRefusal {
  return { ok: false, error: { code: ErrorFrameCode.InvalidBody, message }, closeCode: CloseCode.BadBody };
}

/** Reads the first frame as a request body. Never throws; a throwing validator is a 500 (close 1011). */
export function parseBodyFrame<T>(frame: RawFrame, validate: BodyValidator<T>): { ok: true; value: T } | BodyRefusal {
  if (frame.isBinary) return refuse("the body frame must be a text frame");
  let json: unknown;
  try {
    json = JSON.parse(webSocketDataText(frame.data));
  } catch (err) {
    return refuse(`the body frame is not valid JSON: ${errorMessage(err)}`);
  }
  let checked: ReturnType<BodyValidator<T>>;
  try {
    checked = validate(json);
  } catch {
    return {
      ok: false,
      error: { code: ErrorFrameCode.Internal, message: "the body could not be validated" },
      closeCode: CloseCode.InternalError,
    };
  }
  if (!checked.ok) return refuse(checked.message);
  return checked;
}

/**
 * Holds the first frame of a socket until someone reads it, and runs the
 * body timeout until it arrives. `end()` gives readers `undefined`.
 */
export class BodySlot {
  #frame: RawFrame | undefined;
  #received = false;
  #ended = false;
  #readers: Array<(frame: RawFrame | undefined) => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, onTimeout: () => void) {
    if (timeoutMs > 0) {
      this.#timer = setTimeout(onTimeout, timeoutMs);
      this.#timer.unref();
    }
  }

  /** True once a first frame arrived (every later frame belongs to the receive loop). */
  get received(): boolean {
    return this.#received;
  }

  offer(frame: RawFrame): void {
    this.#received = true;
    clearTimeout(this.#timer);
    if (this.#ended) return;
    this.#frame = frame;
    this.#flush(frame);
  }

  take(): Promise<RawFrame | undefined> {
    if (this.#frame !== undefined) {
      const frame = this.#frame;
      // Released once read: a large body must not live as long as the socket.
      this.#frame = undefined;
      return Promise.resolve(frame);
    }
    if (this.#ended || this.#received) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  end(): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#frame = undefined;
    this.#flush(undefined);
  }

  #flush(frame: RawFrame | undefined): void {
    const readers = this.#readers;
    this.#readers = [];
    for (const resolve of readers) resolve(frame);
    if (frame !== undefined && readers.length > 0) this.#frame = undefined;
  }
}
