import type { LogLevel, Logger } from "../types.js";

export type Verbosity = "quiet" | "normal" | "verbose";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const THRESHOLD: Record<Verbosity, number> = { verbose: 0, normal: 1, quiet: 2 };
const TAG: Record<LogLevel, string> = { debug: "debug: ", info: "", warn: "warn: ", error: "error: " };

/** Logs as `conduit: …` lines through `print` (stderr); --quiet keeps warnings and errors, --verbose adds debug. */
export function stderrLogger(print: (text: string) => void, verbosity: Verbosity): Logger {
  return (level, message) => {
    if (RANK[level] < THRESHOLD[verbosity]) return;
    print(`conduit: ${TAG[level]}${message}\n`);
  };
}
