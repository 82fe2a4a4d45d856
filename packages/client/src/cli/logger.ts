import type { LogLevel, Logger } from "../types.js";

export type Verbosity = "quiet" | "normal" | "verbose";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const THRESHOLD: Record<Verbosity, number> = { verbose: 0, normal: 1, quiet: 2 };

/** Logs to stderr as `conduit: …`; --quiet keeps warnings and errors, --verbose adds debug. */
export function stderrLogger(stderr: NodeJS.WritableStream, verbosity: Verbosity): Logger {
  return (level, message) => {
    if (RANK[level] < THRESHOLD[verbosity]) return;
    const tag = level === "info" ? "" : `${level}: `;
    stderr.write(`conduit: ${tag}${message}\n`);
  };
}
