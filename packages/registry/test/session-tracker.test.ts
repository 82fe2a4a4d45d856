import { describe, expect, it } from "vitest";
import { SessionTracker } from "../src/index.js";

describe("SessionTracker", () => {
  it("has() is true exactly for the response ids observed in this socket's chunks", () => {
    const tracker = new SessionTracker();
    expect(tracker.has("resp_a")).toBe(false);

    tracker.observe({ id: "resp_a" });
    tracker.observe({ id: "resp_b" });
    tracker.observe({ id: "resp_a" });

    expect(tracker.has("resp_a")).toBe(true);
    expect(tracker.has("resp_b")).toBe(true);
    expect(tracker.has("resp_c")).toBe(false);
    expect(tracker.size).toBe(2);
  });

  it("accepts whole chunks and remembers only their agent id", () => {
    const tracker = new SessionTracker();
    const chunk = { id: "resp_x", object: "agent.completion.chunk", index: 0, created: 1, delta: { content: "hi" } };
    tracker.observe(chunk);
    expect(tracker.has("resp_x")).toBe(true);
    expect(tracker.has("hi")).toBe(false);
  });

  it("each socket's tracker is its own: ids seen on one stream are unknown to another", () => {
    const mine = new SessionTracker();
    const theirs = new SessionTracker();
    theirs.observe({ id: "resp_theirs" });

    expect(mine.has("resp_theirs")).toBe(false);
    expect(mine.size).toBe(0);
  });
});
