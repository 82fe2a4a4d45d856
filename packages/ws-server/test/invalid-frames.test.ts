import { describe, expect, it } from "vitest";
import { InvalidFrames, LOGGED_DROPS } from "../src/invalid-frames.js";
import { captureLogger } from "./helpers.js";

function bucket(max: number, windowMs: number) {
  const clock = { now: 0 };
  const { logger, entries } = captureLogger();
  let exceeded = 0;
  const frames = new InvalidFrames({
    max,
    windowMs,
    logger,
    onExceeded: () => (exceeded += 1),
    now: () => clock.now,
  });
  return { frames, clock, entries, exceeded: () => exceeded };
}

describe("InvalidFrames (a token bucket per socket)", () => {
  it("allows max frames in a burst, refills max per window, and runs onExceeded once", () => {
    const { frames, clock, exceeded } = bucket(4, 1000);
    for (let i = 0; i < 4; i += 1) expect(frames.drop({ kind: "invalid_json" })).toBe(true);
    clock.now = 500; // half a window: two tokens back
    expect(frames.drop({ kind: "invalid_json" })).toBe(true);
    expect(frames.drop({ kind: "invalid_json" })).toBe(true);
    expect(exceeded()).toBe(0);
    expect(frames.drop({ kind: "invalid_json" })).toBe(false);
    expect(exceeded()).toBe(1);
    clock.now = 10_000;
    expect(frames.drop({ kind: "invalid_json" })).toBe(false);
    expect(exceeded()).toBe(1);
    expect(frames.dropped).toBe(8);
  });

  it("never holds more than max tokens, however long the socket was quiet", () => {
    const { frames, clock, exceeded } = bucket(3, 1000);
    clock.now = 1_000_000;
    for (let i = 0; i < 3; i += 1) expect(frames.drop({ kind: "binary" })).toBe(true);
    expect(frames.drop({ kind: "binary" })).toBe(false);
    expect(exceeded()).toBe(1);
  });

  it("logs the first LOGGED_DROPS drops, then only the count in summary()", () => {
    const { frames, entries } = bucket(1000, 1000);
    frames.summary();
    expect(entries).toHaveLength(0);
    for (let i = 0; i < LOGGED_DROPS + 20; i += 1) frames.drop({ kind: "unknown_type", reason: "r".repeat(1000) });
    expect(entries).toHaveLength(LOGGED_DROPS);
    expect(entries.every((entry) => (entry.obj as { reason: string }).reason.length < 200)).toBe(true);
    frames.summary();
    expect(entries.at(-1)).toEqual({
      level: "warn",
      obj: { dropped: LOGGED_DROPS + 20, unlogged: 20 },
      msg: "frames dropped on this socket",
    });
  });
});
