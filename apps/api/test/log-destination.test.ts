import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { batchedStdout } from "../src/log-destination.js";
import { createLogger, type Logger } from "../src/logger.js";

let dir: string | undefined;
const fds: number[] = [];
const loggers: Logger[] = [];

afterEach(() => {
  // Nothing stays held for the exit flush: the fd number may belong to another file by then.
  for (const logger of loggers.splice(0)) logger.flush();
  for (const fd of fds.splice(0)) closeSync(fd);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A logger writing through batchedStdout(batchMs) to a temp file, and a reader of the messages written so far. */
function fileLogger(batchMs: number) {
  dir ??= mkdtempSync(join(tmpdir(), "conduit-log-"));
  const path = join(dir, `log-${fds.length}.jsonl`);
  const fd = openSync(path, "w");
  fds.push(fd);
  const logger = createLogger("debug", batchedStdout(batchMs, fd));
  loggers.push(logger);
  const written = (): string[] =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
  return { logger, written };
}

describe("batchedStdout (LOG_BATCH_MS)", () => {
  it("holds info lines and writes them together once the batch time is over", () => {
    vi.useFakeTimers();
    try {
      const { logger, written } = fileLogger(20);
      logger.info("one");
      vi.advanceTimersByTime(10);
      logger.debug("two");
      vi.advanceTimersByTime(9);
      expect(written()).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(written()).toEqual(["one", "two"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("writes a warn line at once, with every line held before it", () => {
    const { logger, written } = fileLogger(60_000);
    logger.info("held");
    logger.warn("alarm");
    expect(written()).toEqual(["held", "alarm"]);
    logger.error("worse");
    expect(written()).toEqual(["held", "alarm", "worse"]);
  });

  it("writes what it holds on logger.flush() and once 4 KiB are held", () => {
    const { logger, written } = fileLogger(60_000);
    logger.info("first");
    logger.flush();
    expect(written()).toEqual(["first"]);
    // Fields are clipped at 200 characters: each line holds about 300 bytes.
    const filler = "x".repeat(200);
    for (let i = 0; i < 20; i++) logger.info({ filler }, `line ${i}`);
    expect(written().length).toBeGreaterThan(1);
    expect(written()[1]).toBe("line 0");
  });

  it("redacts every authorization field it walks, whatever its case, and keeps the rest", () => {
    dir ??= mkdtempSync(join(tmpdir(), "conduit-log-"));
    const path = join(dir, "redact.jsonl");
    const fd = openSync(path, "w");
    fds.push(fd);
    const logger = createLogger("info", batchedStdout(0, fd));
    logger.info(
      {
        authorization: "Bearer top",
        headers: { authorization: "Bearer one", "x-team": "docs" },
        req: { headers: { Authorization: "Bearer two" } },
        upstream: { AUTHORIZATION: "Bearer three" },
      },
      "with keys",
    );
    const text = readFileSync(path, "utf8");
    expect(text).not.toMatch(/Bearer/);
    expect(JSON.parse(text)).toMatchObject({
      authorization: "[redacted]",
      headers: { authorization: "[redacted]", "x-team": "docs" },
      req: { headers: { Authorization: "[redacted]" } },
      upstream: { AUTHORIZATION: "[redacted]" },
    });
  });

  it("drops lines, and never throws, once its descriptor is gone", () => {
    const { logger } = fileLogger(60_000);
    logger.info("held");
    closeSync(fds.pop()!);
    expect(() => logger.flush()).not.toThrow();
    expect(() => logger.warn("after")).not.toThrow();
    expect(() => logger.error("and again")).not.toThrow();
  });

  it("writes every line at once with 0", () => {
    const { logger, written } = fileLogger(0);
    logger.info("now");
    expect(written()).toEqual(["now"]);
  });
});
