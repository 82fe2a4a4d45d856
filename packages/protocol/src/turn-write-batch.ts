/** The part of a Node writable stream (a socket, a pipe) that batching needs. */
export interface CorkableStream {
  cork(): void;
  uncork(): void;
}

/**
 * Gathers a stream's writes of one event-loop turn into one system call.
 *
 * `hold()` before a write corks the stream until the turn's I/O callbacks have
 * all run (a `setImmediate`), so the frames that many calls produce in the same
 * turn leave in one `writev` instead of one each. A lone write waits only for
 * the end of its turn. `end()` and `destroy()` on the stream flush or drop what
 * is held as they would without the batch; the late `uncork()` is then a no-op.
 */
export class TurnWriteBatch {
  readonly #stream: CorkableStream;
  #held = false;

  constructor(stream: CorkableStream) {
    this.#stream = stream;
  }

  hold(): void {
    if (this.#held) return;
    this.#held = true;
    this.#stream.cork();
    setImmediate(this.#release);
  }

  readonly #release = (): void => {
    this.#held = false;
    this.#stream.uncork();
  };
}
