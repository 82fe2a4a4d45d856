import { destination, pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * JSON lines on stdout, written synchronously so the last lines before an
 * exit are never lost. Nothing logs a full response id, key or header value
 * at info: callers pass shortId(id).
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["req.headers.authorization", "headers.authorization", "*.authorization"],
        censor: "[redacted]",
      },
    },
    destination({ dest: 1, sync: true }),
  );
}
