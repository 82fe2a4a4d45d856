import { createInterface, type Interface } from "node:readline";
import { shortId } from "@conduit/protocol";
import { attach, describeOutcome } from "../attach.js";
import { ConduitError, errorMessage } from "../errors.js";
import { forLog } from "../log-text.js";
import type { AttachSession, Logger, UpstreamSpec } from "../types.js";
import { ElicitationAnswers } from "./elicitation-answers.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { stderrLogger, type Verbosity } from "./logger.js";
import { parseNotifyLine } from "./notify-input.js";
import { ReadablePrinter } from "./printer.js";

export interface AttachCommand {
  url: string;
  body: unknown;
  /** Notify lines are read from stdin only when the body did not come from it. */
  readNotifyLines: boolean;
  mcps: Record<string, UpstreamSpec>;
  headers: Record<string, string>;
  json: boolean;
  verbosity: Verbosity;
  upstreamTimeoutMs: number;
  maxListenMs: number;
  maxUpstreams: number;
}

export interface Io {
  /** Elicitations are asked on it when it is a TTY (`isTTY`) and the body came from a file. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** SIGHUP too: a closed terminal or ended SSH session must not kill the CLI before its upstreams. */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs one attach to the end and returns the process exit code. Upstreams are shut down before it returns. */
export async function runAttach(command: AttachCommand, io: Io): Promise<number> {
  // A stderr reader that went away (e.g. `2>&1 | head`) only loses the logs; unhandled, EPIPE would kill the CLI.
  io.stderr.on("error", () => undefined);
  const log = stderrLogger(io.stderr, command.verbosity);
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) {
      log("warn", `${signal}: still shutting down upstreams`);
      return;
    }
    interrupted = true;
    log("info", `${signal}: closing the stream and shutting upstreams down`);
    controller.abort();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  try {
    let session: AttachSession;
    try {
      session = attach({
        url: command.url,
        body: command.body,
        mcps: command.mcps,
        headers: command.headers,
        signal: controller.signal,
        upstreamTimeoutMs: command.upstreamTimeoutMs,
        maxListenMs: command.maxListenMs,
        maxUpstreams: command.maxUpstreams,
        logger: log,
      });
    } catch (error) {
      log("error", (error as Error).message);
      return ExitCode.Usage;
    }
    // A reader that went away (e.g. `| head`) ends the stream instead of crashing.
    io.stdout.on("error", () => controller.abort());

    const agents = new Map<number, string>();
    const answers = new ElicitationAnswers({
      session,
      interactive: command.readNotifyLines && io.stdin.isTTY === true,
      repeatQuestion: command.json,
      prompt: (text) => io.stderr.write(text),
      log,
    });
    const reader = command.readNotifyLines ? readNotifyLines(io.stdin, session, agents, answers, log) : undefined;
    try {
      await printChunks(session, command.json, io.stdout, agents, answers, log);
    } finally {
      reader?.close();
    }
    const outcome = await session.closed;
    if (interrupted) return ExitCode.Interrupted;
    if (outcome.kind !== "finished") log("error", `stream ${describeOutcome(outcome)}`);
    return exitCodeFor(outcome);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

async function printChunks(
  session: AttachSession,
  json: boolean,
  stdout: NodeJS.WritableStream,
  agents: Map<number, string>,
  answers: ElicitationAnswers,
  log: Logger,
): Promise<void> {
  const printer = new ReadablePrinter();
  for await (const chunk of session) {
    if (!agents.has(chunk.index)) {
      agents.set(chunk.index, chunk.id);
      log("debug", `agent #${chunk.index} is ${shortId(chunk.id)}`);
    }
    let lines: string[] = [];
    try {
      lines = json ? [JSON.stringify(chunk)] : printer.push(chunk);
    } catch (error) {
      // E.g. content nested too deeply for the (recursive) JSON.stringify: one chunk is lost, not the CLI.
      log("error", `cannot print a chunk of agent #${chunk.index}: ${errorMessage(error)}`);
    }
    for (const line of lines) stdout.write(`${line}\n`);
    // After the chunk is printed, so a question shows before its prompt; an elicitation is answered even unprinted.
    answers.chunk(chunk);
  }
  if (!json) for (const line of printer.flush()) stdout.write(`${line}\n`);
}

function readNotifyLines(
  stdin: NodeJS.ReadableStream,
  session: AttachSession,
  agents: Map<number, string>,
  answers: ElicitationAnswers,
  log: Logger,
): Interface {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  lines.on("line", (line) => {
    // While an elicitation waits for the human, the next line is its answer.
    if (answers.takeLine(line)) return;
    const parsed = parseNotifyLine(line);
    if (parsed.kind === "empty") return;
    if (parsed.kind === "invalid") {
      log("error", `ignored notify line: ${parsed.reason}`);
      return;
    }
    const { target } = parsed;
    const responseId = "responseId" in target ? target.responseId : agents.get(target.index);
    const label = "responseId" in target ? shortId(target.responseId) : `#${target.index}`;
    if (responseId === undefined) {
      log("error", `ignored notify line: no agent #${"index" in target ? target.index : "?"} has streamed yet`);
      return;
    }
    session.notify(responseId, parsed.content).then(
      () => log("info", `notify delivered to ${label}`),
      (error: unknown) => {
        const code = error instanceof ConduitError ? ` (${error.code})` : "";
        log("error", `notify to ${label} failed${code}: ${forLog((error as Error).message)}`);
      },
    );
  });
  // stdin errors (e.g. a closed terminal) only stop the notify input.
  stdin.on("error", (error: Error) => log("debug", `stdin: ${error.message}`));
  return lines;
}
