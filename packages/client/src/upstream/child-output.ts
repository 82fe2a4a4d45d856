import { forLog } from "../log-text.js";
import type { Logger } from "../types.js";

/** Stderr lines a failure quotes: the last MAX_TAIL_LINES, fewer when they pass MAX_TAIL_CHARS together. */
export const MAX_TAIL_LINES = 5;
export const MAX_TAIL_CHARS = 1024;

/** Put before the stderr tail in a failure's message; the CLI finds the tail by it. */
export const STDERR_TAIL_LEAD = "; its stderr ended with: ";

/** Between the quoted stderr lines. */
const TAIL_SEPARATOR = " | ";

/** How to make an upstream's stdout clean, said with the first line that is not JSON-RPC. */
export const STDOUT_HINT = "MCP stdio servers must print only JSON-RPC on stdout; log to stderr";

/**
 * The last lines a child wrote on stderr (blank ones skipped), each made safe
 * by forLog, so that the error reporting its exit can say what it last said.
 */
export class StderrTail {
  readonly #lines: string[] = [];

  add(line: string): void {
    if (line.trim().length === 0) return;
    this.#lines.push(forLog(line));
    if (this.#lines.length > MAX_TAIL_LINES) this.#lines.shift();
  }

  /** The kept lines joined, oldest first, within MAX_TAIL_CHARS; undefined when there are none. */
  text(): string | undefined {
    const lines = [...this.#lines];
    // One line from forLog is far shorter than MAX_TAIL_CHARS, so at least the last one stays.
    while (lines.length > 1 && lines.join(TAIL_SEPARATOR).length > MAX_TAIL_CHARS) lines.shift();
    return lines.length === 0 ? undefined : lines.join(TAIL_SEPARATOR);
  }
}

/**
 * Lines on a child's stdout that are not JSON-RPC (a banner, console.log
 * debugging). They are skipped; the first is logged at warn with a sample and
 * STDOUT_HINT, the rest only counted (one debug summary when the child is gone),
 * so a chatty child cannot flood the log.
 */
export class StdoutNoise {
  readonly #name: string;
  readonly #log: Logger;
  #count = 0;

  constructor(name: string, log: Logger) {
    this.#name = name;
    this.#log = log;
  }

  add(line: string): void {
    this.#count += 1;
    if (this.#count > 1) return;
    this.#log("warn", `${this.#name} printed a line on stdout that is not JSON-RPC: "${forLog(line)}"; ${STDOUT_HINT}`);
  }

  /** For a failure's message: that the child printed something else than JSON-RPC, if it did. */
  note(): string | undefined {
    if (this.#count === 0) return undefined;
    const lines = this.#count === 1 ? "1 line" : `${this.#count} lines`;
    return `it printed ${lines} on stdout that ${this.#count === 1 ? "is" : "are"} not JSON-RPC (${STDOUT_HINT})`;
  }

  /** Once the child is gone. */
  summarize(): void {
    if (this.#count < 2) return;
    this.#log("debug", `${this.#name}: skipped ${this.#count} lines on stdout that are not JSON-RPC`);
  }
}

/** `the process exited with code 1`, `the process was ended by signal SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `the process was ended by signal ${signal}`;
  return code === null ? "the process exited" : `the process exited with code ${code}`;
}
