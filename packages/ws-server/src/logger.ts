/** The logging shape Conduit needs: pino-compatible (`logger.warn({ obj }, "msg")`). */
export interface ConduitLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => {};

/** Discards everything; the default when no logger is given. */
export const silentLogger: ConduitLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** Wraps `logger` so that a log call that throws can never escape an event handler or cut a cleanup short. */
export function safeLogger(logger: ConduitLogger): ConduitLogger {
  const at =
    (level: keyof ConduitLogger) =>
    (obj: object, msg: string): void => {
      try {
        logger[level](obj, msg);
      } catch {
        // Dropped: losing a log line is better than losing the process or a socket's cleanup.
      }
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
