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
