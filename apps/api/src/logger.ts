import { destination, pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";
import { clipFields } from "./log-text.js";

export type { Logger };

/**
 * JSON lines on stdout, written synchronously so the last lines before an
 * exit are never lost. Nothing logs a full response id, key or header value
 * at info: callers pass shortId(id). Every string field is clipped to
 * LOG_TEXT_MAX characters (log-text.ts). `to` is for tests.
 */
export function createLogger(level: LogLevel, to: DestinationStream = destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["req.headers.authorization", "headers.authorization", "*.authorization"],
        censor: "[redacted]",
      },
      formatters: { log: clipFields },
    },
    to,
  );
}
