/**
 * Incremental Server-Sent Events parser (the subset Chat Completions streams
 * use): feed decoded text as it arrives, get back the `data` payload of every
 * event completed so far. Handles \n, \r\n and \r line ends, multi-line data
 * and comment lines; ignores `event:`, `id:` and `retry:`.
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #pendingCr = false;

  push(text: string): string[] {
    // Nothing arrived (e.g. an empty body chunk): a pending \r must survive until the next piece.
    if (text.length === 0) return [];
    let input = text;
    // A \r at the end of the previous piece may be the first half of \r\n.
    if (this.#pendingCr && input.startsWith("\n")) input = input.slice(1);
    this.#pendingCr = false;
    this.#buffer += input;
    const events: string[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i += 1) {
      const char = this.#buffer[i];
      if (char !== "\n" && char !== "\r") continue;
      this.#line(this.#buffer.slice(start, i), events);
      if (char === "\r") {
        if (i + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer[i + 1] === "\n") i += 1;
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** Flushes a last event that was not followed by a blank line. */
  end(): string[] {
    const events: string[] = [];
    if (this.#buffer.length > 0) this.#line(this.#buffer, events);
    this.#buffer = "";
    this.#line("", events);
    return events;
  }

  #line(line: string, events: string[]): void {
    if (line === "") {
      if (this.#data.length > 0) events.push(this.#data.join("\n"));
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
  }
}
