import type { AttachOutcome } from "../types.js";

/**
 * The CLI's exit codes. When several apply, the highest in this order wins:
 * Interrupted, then Usage, Connection, Upstream, AgentFailed (among 2–5 the
 * lowest number wins), then Success. An upstream that broke usually makes
 * the agent that used it fail too, so the upstream is reported as the cause.
 */
export const ExitCode = {
  Success: 0,
  /** An unexpected failure of the CLI itself (a bug): the stack is printed. */
  Internal: 1,
  Usage: 2,
  /** Could not connect, the server refused the upgrade or the body (error frame), or the stream broke. */
  Connection: 3,
  /** An upstream could not start, or broke during the run. */
  Upstream: 4,
  /** At least one agent finished with `finish_reason: "error"`. */
  AgentFailed: 5,
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const PRECEDENCE: readonly ExitCodeValue[] = [
  ExitCode.Interrupted,
  ExitCode.Internal,
  ExitCode.Usage,
  ExitCode.Connection,
  ExitCode.Upstream,
  ExitCode.AgentFailed,
  ExitCode.Success,
];

/** The code that wins when every one of `codes` applies. */
export function decideExitCode(codes: readonly ExitCodeValue[]): ExitCodeValue {
  for (const code of PRECEDENCE) if (codes.includes(code)) return code;
  return ExitCode.Success;
}

/** What the stream's end alone says: anything but a finish by the server is a connection failure. */
export function exitCodeFor(outcome: AttachOutcome): ExitCodeValue {
  return outcome.kind === "finished" ? ExitCode.Success : ExitCode.Connection;
}

/** The exit codes as `--help` lists them (the README has the same table). */
export const EXIT_CODES_HELP = `Exit codes (when several apply, the first in this list wins):
  130  interrupted (SIGINT/SIGTERM/SIGHUP); upstream processes are shut down first
  2    usage error: bad option or value, unreadable body, invalid config file
  3    could not connect, the server refused the upgrade (401, 404…) or the request
       (error frame), no answer within --connect-timeout, or the stream broke
  4    an upstream could not start or broke during the run
  5    an agent finished with an error
  0    success: the stream finished and none of the above happened
  (1   an unexpected failure of the CLI itself)
`;
