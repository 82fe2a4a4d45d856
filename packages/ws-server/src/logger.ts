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
