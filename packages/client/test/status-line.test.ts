import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { StatusLine, formatElapsed, type StatusSnapshot } from "../src/cli/status-line.js";

const ERASE = "\r\u001b[2K";

/** A stand-in for a terminal's stderr: records every write. */
class FakeTerminal {
  readonly writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  /** What the screen shows: a line is replaced by ERASE. */
  screen(): string {
    return this.writes.join("").split("\n").map(lastErased).join("\n");
  }
}

function lastErased(line: string): string {
  const at = line.lastIndexOf(ERASE);
  return at < 0 ? line : line.slice(at + ERASE.length);
}

let state: StatusSnapshot;
let now: number;

beforeEach(() => {
  vi.useFakeTimers();
  state = { connected: false, agentsRunning: 0, toolCallsInFlight: 0 };
  now = 1_000_000;
});

afterEach(() => {
  vi.useRealTimers();
});

function statusOn(terminal: FakeTerminal, enabled = true): StatusLine {
  return new StatusLine(terminal, { enabled, snapshot: () => state, now: () => now });
}

describe("on a TTY", () => {
  test("draws connected, agents running, tool calls in flight and elapsed, in place", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    status.update();
    expect(terminal.writes).toEqual([`${ERASE}conduit: connecting… · 0 agents running · 0 tool calls in flight · 0s`]);
    state = { connected: true, agentsRunning: 2, toolCallsInFlight: 1 };
    now += 65_000;
    status.update();
    expect(terminal.writes.at(-1)).toBe(
      `${ERASE}conduit: connected · 2 agents running · 1 tool call in flight · 1m05s`,
    );
    expect(terminal.writes.join("")).not.toContain("\n");
    status.stop();
  });

  test("erases itself before any other line and redraws after it", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    status.update();
    status.print("conduit: warning: something\n");
    const [draw, erase, line] = terminal.writes;
    expect(draw?.startsWith(`${ERASE}conduit: connecting`)).toBe(true);
    expect(erase).toBe(ERASE);
    expect(line).toBe("conduit: warning: something\n");
    now += 1000;
    vi.runOnlyPendingTimers();
    expect(terminal.screen().split("\n")).toEqual([
      "conduit: warning: something",
      "conduit: connecting… · 0 agents running · 0 tool calls in flight · 1s",
    ]);
    status.stop();
  });

  test("erases itself before stdout output on a shared terminal", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    status.update();
    status.beforeOutput();
    expect(terminal.writes.at(-1)).toBe(ERASE);
    status.stop();
  });

  test("redraws at most once per 250 ms however many events arrive", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    for (let i = 0; i < 50; i++) {
      state = { ...state, agentsRunning: i };
      status.update();
    }
    expect(terminal.writes).toHaveLength(1);
    now += 250;
    vi.advanceTimersByTime(250);
    expect(terminal.writes).toHaveLength(2);
    expect(terminal.writes[1]).toContain("49 agents running");
    status.stop();
  });

  test("the tick refreshes the elapsed time; stop() erases the line and clears the timers", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    status.update();
    now += 3000;
    vi.advanceTimersByTime(1000);
    expect(terminal.writes.at(-1)).toContain("· 3s");
    status.stop();
    expect(terminal.writes.at(-1)).toBe(ERASE);
    expect(vi.getTimerCount()).toBe(0);
    const count = terminal.writes.length;
    status.update();
    vi.advanceTimersByTime(5000);
    expect(terminal.writes).toHaveLength(count);
  });

  test("leaves a prompt waiting for an answer alone until a full line follows", () => {
    const terminal = new FakeTerminal(true);
    const status = statusOn(terminal);
    status.update();
    status.print("elic_1: answer with one line…\n> ");
    const after = terminal.writes.length;
    now += 5000;
    vi.advanceTimersByTime(5000);
    expect(terminal.writes).toHaveLength(after);
    status.print("conduit: elicitation elic_1 answered: decline\n");
    expect(terminal.writes.at(-1)?.startsWith(`${ERASE}conduit: connecting`)).toBe(true);
    status.stop();
  });

  test("a line wider than the terminal is cut, never wrapped", () => {
    const terminal = new FakeTerminal(true, 30);
    const status = statusOn(terminal);
    status.update();
    const shown = terminal.writes[0]!.slice(ERASE.length);
    expect(shown.length).toBeLessThan(30);
    expect(shown.endsWith("…")).toBe(true);
    status.stop();
  });
});

describe("never drawn", () => {
  test.each([
    ["stderr is not a TTY", new FakeTerminal(false), true],
    ["--no-status", new FakeTerminal(true), false],
  ] as const)("when %s: lines pass through unchanged and no timer runs", (_label, terminal, enabled) => {
    const status = statusOn(terminal, enabled);
    expect(status.enabled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    status.update();
    status.print("conduit: a line\n");
    status.beforeOutput();
    vi.advanceTimersByTime(10_000);
    status.stop();
    expect(terminal.writes).toEqual(["conduit: a line\n"]);
  });
});

test("formatElapsed", () => {
  expect(formatElapsed(0)).toBe("0s");
  expect(formatElapsed(59_999)).toBe("59s");
  expect(formatElapsed(60_000)).toBe("1m00s");
  expect(formatElapsed(3_723_000)).toBe("1h02m");
});
