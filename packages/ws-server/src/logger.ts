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

/** Client-supplied text in a log line is cut to this many UTF-16 units (SPEC §10). */
export const LOG_TEXT_MAX = 128;

/**
 * Bounds client-supplied text (ids, methods, reasons, error messages) for a
 * log line: past `LOG_TEXT_MAX` it is cut, never inside a surrogate pair, and
 * marked with `…(+N)`, N being the units left out.
 */
export function clip(text: string): string {
  if (text.length <= LOG_TEXT_MAX) return text;
  let end = LOG_TEXT_MAX;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…(+${text.length - end})`;
}

/** A request id for a log line: a string id clipped, a number as is. */
export function clipId(id: string | number): string | number {
  return typeof id === "string" ? clip(id) : id;
}

/** An error's message (or the thrown value as text), clipped. */
export function errText(err: unknown): string {
  return clip(err instanceof Error ? err.message : String(err));
}
