/**
 * The one logging contract of the server packages: pino-compatible
 * (`logger.warn({ field }, "message")`), so a pino logger or child fits as is.
 */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => {};

/** Discards everything; the default when no logger is given. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * `fn`, except that a throw is swallowed: for a user-supplied callback (a
 * logger) that must never escape an event handler or cut a cleanup short.
 */
export function neverThrows<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Dropped: losing a log line is better than losing the process or a socket's cleanup.
    }
  };
}

/** Wraps `logger` so that no log call can throw (see neverThrows). */
export function safeLogger(logger: Logger): Logger {
  return {
    debug: neverThrows((obj, msg) => logger.debug(obj, msg)),
    info: neverThrows((obj, msg) => logger.info(obj, msg)),
    warn: neverThrows((obj, msg) => logger.warn(obj, msg)),
    error: neverThrows((obj, msg) => logger.error(obj, msg)),
  };
}
