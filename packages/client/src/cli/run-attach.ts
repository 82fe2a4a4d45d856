import { createInterface, type Interface } from "node:readline";
import { shortId } from "@conduit/protocol";
import { attach } from "../attach.js";
import { ConduitError, errorMessage } from "../errors.js";
import { forLog } from "../log-text.js";
import { toWebSocketUrl } from "../options.js";
import type { AttachEvent, AttachSession, Logger } from "../types.js";
import type { AttachSettings } from "./attach-settings.js";
import { ElicitationAnswers } from "./elicitation-answers.js";
import { ExitCode, decideExitCode, exitCodeFor, type ExitCodeValue } from "./exit-codes.js";
import { stderrLogger } from "./logger.js";
import { parseNotifyLine } from "./notify-input.js";
import { describeFailedOutcome } from "./outcome-message.js";
import { ReadablePrinter } from "./printer.js";
import { RunProgress } from "./run-progress.js";
import { StatusLine, type StatusStream } from "./status-line.js";
import { UpstreamFailures } from "./upstream-failures.js";

export interface AttachCommand extends Omit<AttachSettings, "warnings"> {
  body: unknown;
  /** Notify lines are read from stdin only when the body did not come from it. */
  readNotifyLines: boolean;
  warnings?: string[];
}

export interface Io {
  /** Elicitations are asked on it when it is a TTY (`isTTY`) and the body came from a file. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  /** The status line is drawn on it only when it is a TTY. */
  stderr: NodeJS.WritableStream & StatusStream;
}

/** SIGHUP too: a closed terminal or ended SSH session must not kill the CLI before its upstreams. */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs one attach to the end and returns the process exit code. Upstreams are shut down before it returns. */
export async function runAttach(command: AttachCommand, io: Io): Promise<ExitCodeValue> {
  // A stderr reader that went away (e.g. `2>&1 | head`) only loses the logs; unhandled, EPIPE would kill the CLI.
  io.stderr.on("error", () => undefined);
  const progress = new RunProgress();
  const status = new StatusLine(io.stderr, { enabled: command.status, snapshot: () => progress.snapshot() });
  const print = (text: string) => status.print(text);
  const log = stderrLogger(print, command.verbosity);
  for (const warning of command.warnings ?? []) log("warn", warning);
  const failures = new UpstreamFailures(command.mcps, (line) => log("error", line), {
    stderrShown: command.verbosity !== "quiet",
  });
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
  const onEvent = (event: AttachEvent) => {
    if (event.type === "connected") progress.connected = true;
    else failures.report(event);
    status.update();
  };

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
        connectTimeoutMs: command.connectTimeoutMs,
        logger: log,
        onEvent,
      });
    } catch (error) {
      log("error", (error as Error).message);
      return ExitCode.Usage;
    }
    status.update();
    // A reader that went away (e.g. `| head`) ends the stream instead of crashing.
    io.stdout.on("error", () => controller.abort());

    const answers = new ElicitationAnswers({
      session,
      interactive: command.readNotifyLines && io.stdin.isTTY === true,
      repeatQuestion: command.json,
      prompt: print,
      log,
    });
    const write = (line: string) => {
      status.beforeOutput();
      io.stdout.write(`${line}\n`);
    };
    const reader = command.readNotifyLines
      ? readNotifyLines(io.stdin, session, progress.agents, answers, log)
      : undefined;
    try {
      await printChunks(session, command.json, write, progress, answers, log, () => status.update());
    } finally {
      reader?.close();
    }
    const outcome = await session.closed;
    if (interrupted) return ExitCode.Interrupted;
    const codes: ExitCodeValue[] = [exitCodeFor(outcome)];
    if (outcome.kind !== "finished") {
      const url = toWebSocketUrl(command.url);
      const sentKey = Object.keys(command.headers).some((name) => name.toLowerCase() === "authorization");
      log("error", describeFailedOutcome(outcome, { url, sentKey, connectTimeoutMs: command.connectTimeoutMs }));
    }
    if (failures.any) codes.push(ExitCode.Upstream);
    const failed = progress.failedAgents;
    if (failed.length > 0) {
      const shown = failed.slice(0, 10).map((index) => `#${index}`);
      const which = `${shown.join(", ")}${failed.length > shown.length ? ", …" : ""}`;
      log("error", `${failed.length} of ${progress.agents.size} agents finished with an error (${which})`);
      codes.push(ExitCode.AgentFailed);
    }
    return decideExitCode(codes);
  } finally {
    status.stop();
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

async function printChunks(
  session: AttachSession,
  json: boolean,
  write: (line: string) => void,
  progress: RunProgress,
  answers: ElicitationAnswers,
  log: Logger,
  changed: () => void,
): Promise<void> {
  const printer = new ReadablePrinter();
  for await (const chunk of session) {
    if (progress.chunk(chunk)) log("debug", `agent #${chunk.index} is ${shortId(chunk.id)}`);
    changed();
    let lines: string[] = [];
    try {
      lines = json ? [JSON.stringify(chunk)] : printer.push(chunk);
    } catch (error) {
      // E.g. content nested too deeply for the (recursive) JSON.stringify: one chunk is lost, not the CLI.
      log("error", `cannot print a chunk of agent #${chunk.index}: ${errorMessage(error)}`);
    }
    for (const line of lines) write(line);
    // After the chunk is printed, so a question shows before its prompt; an elicitation is answered even unprinted.
    answers.chunk(chunk);
  }
  if (!json) for (const line of printer.flush()) write(line);
}

function readNotifyLines(
  stdin: NodeJS.ReadableStream,
  session: AttachSession,
  agents: ReadonlyMap<number, string>,
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
