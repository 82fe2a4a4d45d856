import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { TurnWriteBatch, type JsonRpcMessage, type McpArguments } from "@conduit/protocol";
import spawn from "cross-spawn";
import type { Logger, UpstreamSpec } from "../types.js";
import { describeExit, StderrTail, StdoutNoise, STDERR_TAIL_LEAD } from "./child-output.js";
import { argumentsToFlags } from "./flags.js";
import { DEFAULT_MAX_LINE_BYTES } from "./limits.js";
import { LineDecoder } from "./ndjson.js";
import { parseJsonRpc, type UpstreamTransport } from "./transport.js";

type StdioSpec = Extract<UpstreamSpec, { kind: "stdio" }>;

/** Longest stderr line logged; the rest of a longer line is dropped (never buffered). */
const MAX_STDERR_LINE = 8192;

/** How long the child gets after its stdin closed before SIGTERM, and after SIGTERM before SIGKILL. */
const EXIT_GRACE_MS = 2_000;

/** Variables of the attaching process that are Conduit's own secrets, never an upstream's business. */
const WITHHELD: ReadonlySet<string> = new Set(["CONDUIT_API_KEY"]);

/**
 * The upstream runs as if the user had started it from the same shell: it
 * inherits this process's environment (proxy and CA settings such as
 * HTTPS_PROXY or NODE_EXTRA_CA_CERTS are what make an `npx …` upstream work
 * behind a corporate network), minus Conduit's own key, plus `spec.env`.
 */
export function upstreamEnvironment(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !WITHHELD.has(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * A stdio upstream: the child is spawned without a shell (cross-spawn, so that
 * `npx` and other `.cmd` shims also start on Windows) with the initialize
 * arguments appended as flags and the environment of upstreamEnvironment().
 * Messages are newline-delimited JSON both ways; a line on stdout longer than
 * `spec.maxLineBytes` ends the connection. The child's stderr is forwarded
 * line by line to the logger, each line cut at MAX_STDERR_LINE. A line on
 * stdout that is not JSON-RPC is skipped (see StdoutNoise).
 *
 * When the child ends on its own, onclose's reason says how it exited, that it
 * printed something else than JSON-RPC on stdout (if it did), and the last
 * lines of its stderr (StderrTail), so the failure it causes names a cause.
 */
export class StdioTransport implements UpstreamTransport {
  onmessage?: (message: JsonRpcMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: (reason?: string) => void;
  readonly #spec: StdioSpec;
  readonly #args: McpArguments;
  readonly #name: string;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  /** Batches the lines of one event-loop turn into one write on the pipe. */
  #stdinBatch: TurnWriteBatch | undefined;
  #exited: Promise<void> | undefined;
  /** Settles after onclose was called. */
  #closed: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Why we ended the child ourselves (a line past the bound), for onclose. */
  #reason: string | undefined;
  readonly #stderrTail = new StderrTail();
  readonly #stdoutNoise: StdoutNoise;

  constructor(spec: StdioSpec, args: McpArguments, name: string, log: Logger) {
    this.#spec = spec;
    this.#args = args;
    this.#name = name;
    this.#log = log;
    this.#stdoutNoise = new StdoutNoise(name, log);
  }

  /** That the child printed something else than JSON-RPC on stdout, for a request it did not answer. */
  diagnosis(): string | undefined {
    return this.#stdoutNoise.note();
  }

  /** The child's pid once started, else null. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  start(): Promise<void> {
    if (this.#child !== undefined) return Promise.reject(new Error("already started"));
    const child = spawn(this.#spec.command, [...(this.#spec.args ?? []), ...argumentsToFlags(this.#args)], {
      env: upstreamEnvironment(this.#spec.env),
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: process.platform === "win32",
      ...(this.#spec.cwd ? { cwd: this.#spec.cwd } : {}),
    });
    this.#child = child;
    this.#exited = once(child, "exit").then(
      () => undefined,
      () => undefined,
    );
    const maxLineBytes = this.#spec.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const lines = new LineDecoder(
      maxLineBytes,
      (line) => {
        let skipped = false;
        const messages = parseJsonRpc(line, () => (skipped = true));
        if (skipped) this.#stdoutNoise.add(line);
        for (const message of messages) this.onmessage?.(message);
      },
      () => {
        this.#reason = `it wrote a message line longer than ${maxLineBytes} bytes (maxLineBytes)`;
        this.onerror?.(new Error(this.#reason));
        void this.close();
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => lines.push(chunk));
    child.stdout?.on("error", (error) => this.onerror?.(error));
    child.stdin?.on("error", (error) => this.onerror?.(error));
    this.#stdinBatch = child.stdin ? new TurnWriteBatch(child.stdin) : undefined;
    if (child.stderr) {
      forwardLines(child.stderr, (line) => {
        this.#log("info", `${this.#name} stderr: ${line}`);
        this.#stderrTail.add(line);
      });
    }
    // "close" comes after "exit" and after stdout and stderr ended: the tail is complete.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      this.#stdoutNoise.summarize();
      this.onclose?.(this.#reason ?? this.#exitReason(code, signal));
    });
    this.#closed = once(child, "close").then(
      () => undefined,
      () => undefined,
    );
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error) => {
        this.onerror?.(error);
        reject(error);
      });
    });
  }

  /** Why the child ended, unless our close() ended it. */
  #exitReason(code: number | null, signal: NodeJS.Signals | null): string | undefined {
    if (this.#closing !== undefined) return undefined;
    const noise = this.#stdoutNoise.note();
    const tail = this.#stderrTail.text();
    return `${describeExit(code, signal)}${noise === undefined ? "" : `; ${noise}`}${tail === undefined ? "" : `${STDERR_TAIL_LEAD}${tail}`}`;
  }

  send(message: JsonRpcMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (stdin === undefined || stdin === null || this.#closing !== undefined || !stdin.writable) {
      return Promise.reject(new Error("not connected"));
    }
    this.#stdinBatch?.hold();
    return new Promise((resolve, reject) => {
      // Called once the pipe took the line (a child that never reads leaves it waiting), or with its error.
      // A child that exited before reading it (EPIPE): its exit, which onclose reports with its stderr,
      // is the cause to show, so the write's error waits for that (a little while at most).
      stdin.write(`${JSON.stringify(message)}\n`, (error) => {
        if (!error) resolve();
        else void exitsWithin(this.#closed ?? Promise.resolve(), EXIT_GRACE_MS).then(() => reject(error));
      });
    });
  }

  /**
   * Closes the child's stdin, then SIGTERM after EXIT_GRACE_MS, then SIGKILL
   * after another; resolves once it has exited and onclose has run.
   */
  close(): Promise<void> {
    this.#closing ??= this.#terminate();
    return this.#closing;
  }

  async #terminate(): Promise<void> {
    const child = this.#child;
    const exited = this.#exited;
    if (child === undefined || exited === undefined) return;
    const gone = (): boolean => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
    if (!gone()) {
      child.stdin?.end();
      for (const signal of ["SIGTERM", "SIGKILL"] as const) {
        if (await exitsWithin(exited, EXIT_GRACE_MS)) break;
        if (!gone()) child.kill(signal);
      }
      await exited;
    }
    // Resolve only after "close" (and so onclose) ran. It follows once stdout and stderr ended; a
    // grandchild may hold them open, so past the grace the pipes are destroyed instead of awaited.
    const closed = this.#closed;
    if (closed === undefined) return;
    if (!(await exitsWithin(closed, EXIT_GRACE_MS))) {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    await closed;
  }
}

/** True when `exited` (or "closed") settles within `ms`; the timer never keeps the process alive. */
async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const result = await Promise.race([exited.then(() => true as const), late]);
  clearTimeout(timer);
  return result;
}

/**
 * Calls `onLine` for every line of `input` (ended by \n, \r\n or \r, as readline
 * splits them). Unlike readline, a line longer than MAX_STDERR_LINE is emitted
 * cut as soon as it is that long and the rest of it is skipped, so a child
 * writing without line breaks cannot make memory grow.
 */
function forwardLines(input: Readable, onLine: (line: string) => void): void {
  let partial = "";
  let skipping = false;
  let afterCr = false;
  const emit = (line: string): void => {
    onLine(
      line.length > MAX_STDERR_LINE
        ? `${line.slice(0, MAX_STDERR_LINE)}… (cut at ${MAX_STDERR_LINE} characters)`
        : line,
    );
  };
  input.setEncoding("utf8");
  input.on("data", (text: string) => {
    if (text.length === 0) return;
    // A \r that ended the previous piece may be the first half of \r\n.
    const rest = afterCr && text.startsWith("\n") ? text.slice(1) : text;
    afterCr = false;
    const breaks = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = breaks.exec(rest); match !== null; match = breaks.exec(rest)) {
      if (!skipping) emit(partial + rest.slice(start, match.index));
      partial = "";
      skipping = false;
      start = match.index + match[0].length;
      afterCr = match[0] === "\r" && start === rest.length;
    }
    if (skipping) return;
    partial += rest.slice(start);
    if (partial.length > MAX_STDERR_LINE) {
      emit(partial);
      partial = "";
      skipping = true;
    }
  });
  input.on("end", () => {
    if (!skipping && partial.length > 0) emit(partial);
  });
}
