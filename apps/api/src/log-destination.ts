import { destination, type DestinationStream } from "pino";

/** pino sets `lastLevel` on a stream that carries this symbol, before each write (pino's metadata protocol). */
const PINO_METADATA = Symbol.for("pino.metadata");
/** pino's numeric level of `warn`. */
const WARN = 40;
/** A batch is written as soon as it holds this many characters (about as many bytes: log lines are mostly ASCII). */
const BATCH_CHARS = 4096;

/** What createLogger writes to: a pino stream whose `flush()` (pino's `logger.flush()`) writes every held line now. */
export interface LogDestination extends DestinationStream {
  flush(callback?: () => void): void;
}

/**
 * stdout, in batches: an info or debug line waits at most `batchMs` (or until
 * 4 KiB are held) and leaves in one write with the lines after it, so a busy
 * server pays one write per batch instead of one per line. A warn, error or
 * fatal line is written at once, with everything held before it, and so is
 * everything still held when the process exits. `batchMs` 0: every line at once.
 * `fd` is for tests.
 */
export function batchedStdout(batchMs: number, fd = 1): LogDestination {
  const boom = destination({ dest: fd, sync: true });
  // stdout gone (closed, a broken pipe): the lines have nowhere to go, and a log line must
  // never crash the server, an exit included. Later lines are dropped.
  let broken = false;
  boom.on("error", () => (broken = true));
  const writeOut = (text: string): void => {
    if (!broken) boom.write(text);
  };
  if (batchMs === 0) return { write: writeOut, flush: (callback) => callback?.() };
  // Lines are kept apart and joined once per batch: appending them to one string would make
  // sonic-boom measure (and so flatten) the whole batch on every line.
  let held: string[] = [];
  let heldChars = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (callback?: () => void): void => {
    clearTimeout(timer);
    timer = undefined;
    if (held.length > 0) {
      const batch = held.length === 1 ? held[0]! : held.join("");
      held = [];
      heldChars = 0;
      writeOut(batch);
    }
    callback?.();
  };
  const onTimer = (): void => flush();
  process.once("exit", () => flush());
  const stream = {
    [PINO_METADATA]: true,
    lastLevel: 0,
    write(line: string): void {
      held.push(line);
      heldChars += line.length;
      if (stream.lastLevel >= WARN || heldChars >= BATCH_CHARS) flush();
      else timer ??= setTimeout(onTimer, batchMs).unref();
    },
    flush,
  };
  return stream;
}
