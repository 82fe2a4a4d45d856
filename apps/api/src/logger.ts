import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";
import { batchedStdout } from "./log-destination.js";
import { clipFields } from "./log-text.js";

export type { Logger };

/**
 * JSON lines on `to`: main passes stdout in batches (log-destination.ts), the
 * default writes each line at once. Nothing logs a full response id, key or
 * header value at info: callers pass shortId(id). Every string field is
 * clipped to LOG_TEXT_MAX characters and every `authorization` field is
 * redacted (log-text.ts).
 */
export function createLogger(level: LogLevel, to: DestinationStream = batchedStdout(0)): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      formatters: { log: clipFields },
    },
    to,
  );
}
