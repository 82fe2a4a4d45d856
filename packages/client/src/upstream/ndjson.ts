/**
 * Splits a byte stream into lines ended by `\n` (a `\r` before it is dropped),
 * for newline-delimited JSON. A line longer than `maxLineBytes` is refused as
 * soon as that many bytes are buffered: `onTooLong` is called and the decoder
 * stops, so a child writing without line breaks cannot make memory grow.
 */
export class LineDecoder {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onTooLong: (bytes: number) => void;
  #parts: Buffer[] = [];
  #buffered = 0;
  #stopped = false;

  constructor(maxLineBytes: number, onLine: (line: string) => void, onTooLong: (bytes: number) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
    this.#onTooLong = onTooLong;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#stopped) {
      const end = chunk.indexOf(10, start);
      if (end === -1) {
        this.#keep(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, end);
      start = end + 1;
      if (this.#buffered + piece.length > this.#maxLineBytes) {
        this.#refuse(this.#buffered + piece.length);
        return;
      }
      const line = this.#parts.length === 0 ? piece : Buffer.concat([...this.#parts, piece]);
      this.#parts = [];
      this.#buffered = 0;
      const text = line.toString("utf8");
      const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
      if (trimmed.length > 0) this.#onLine(trimmed);
    }
  }

  #keep(rest: Buffer): void {
    if (rest.length === 0) return;
    if (this.#buffered + rest.length > this.#maxLineBytes) {
      this.#refuse(this.#buffered + rest.length);
      return;
    }
    this.#parts.push(rest);
    this.#buffered += rest.length;
  }

  #refuse(bytes: number): void {
    this.#stopped = true;
    this.#parts = [];
    this.#buffered = 0;
    this.#onTooLong(bytes);
  }
}
