import { TurnWriteBatch, type CorkableStream } from "@conduit/protocol";
import type { WebSocket } from "ws";

const RESOLVED_TRUE = Promise.resolve(true);
const RESOLVED_FALSE = Promise.resolve(false);

/** Upper bound of a frame's bytes on the wire: UTF-8 needs at most 3 bytes per UTF-16 unit, plus a 14-byte header. */
function maxFrameBytes(text: string): number {
  return text.length * 3 + 14;
}

/**
 * Sends text frames and turns the socket's `bufferedAmount` into a promise:
 * resolves true at once while the buffer is at or below the high-water mark,
 * otherwise once enough of it has been written out; false once closed.
 *
 * A write callback costs measurable throughput, so only a frame that could
 * take the buffer past the mark carries one. Whenever the buffer is past the
 * mark its newest frame has a callback, so every waiter gets woken.
 */
export class Backpressure {
  readonly #socket: WebSocket;
  readonly #highWaterMark: number;
  #waiters: Array<(ready: boolean) => void> = [];
  readonly #batch: TurnWriteBatch | undefined;
  #closed = false;

  /** With `raw`, the TCP socket under `socket`, the frames of one event-loop turn leave in one write. */
  constructor(socket: WebSocket, highWaterMark: number, raw?: CorkableStream) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    this.#batch = raw === undefined ? undefined : new TurnWriteBatch(raw);
  }

  write(text: string): Promise<boolean> {
    if (this.#closed) return RESOLVED_FALSE;
    this.writeControl(text);
    return this.drained();
  }

  /**
   * Sends a frame that is never held back (server_request, client_response).
   * It still carries the callback when it could take the buffer past the
   * mark: a waiter queued before it is otherwise never woken once it is out.
   */
  writeControl(text: string): void {
    const socket = this.#socket;
    this.#batch?.hold();
    if (socket.bufferedAmount + maxFrameBytes(text) > this.#highWaterMark) socket.send(text, this.#onWritten);
    else socket.send(text);
  }

  /** Resolves true once the buffer is at or below the high-water mark (at once if it is), false once closed. */
  drained(): Promise<boolean> {
    if (this.#closed) return RESOLVED_FALSE;
    if (this.#socket.bufferedAmount <= this.#highWaterMark) return RESOLVED_TRUE;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#flush(false);
  }

  // One function for every callback: Node batches same-callback write completions.
  readonly #onWritten = (err?: Error | null): void => {
    // A destroyed socket fails its buffered writes, which empties the buffer
    // without anything being sent: waiters hear false from close() instead.
    if (err || this.#waiters.length === 0) return;
    if (this.#socket.bufferedAmount <= this.#highWaterMark) this.#flush(true);
  };

  #flush(ready: boolean): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve(ready);
  }
}
