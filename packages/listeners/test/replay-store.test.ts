import type { McpKind } from "@conduit/protocol";
import { describe, expect, it } from "vitest";
import { ReplayStore, formatEventId, parseEventId } from "../src/index.js";

const MCP = "objectiveai" as McpKind;

describe("ReplayStore", () => {
  it("replays what came after a position, scoped to response id, mcp and session", () => {
    const store = new ReplayStore();
    const first = store.append("resp_a", MCP, "s", "st", "one");
    store.append("resp_a", MCP, "s", "st", "two");
    store.append("resp_a", MCP, "s", "st", "three");
    expect(store.after("resp_a", MCP, "s", first)).toEqual({ events: ["two", "three"], first: 2 });
    expect(store.after("resp_b", MCP, "s", first)).toBeUndefined();
    expect(store.after("resp_a", MCP, "other", first)).toBeUndefined();
    expect(store.after("resp_a", "acme/x/1/y" as McpKind, "s", first)).toBeUndefined();
    expect(store.after("resp_a", MCP, "s", { streamId: "st", seq: 3 })).toEqual({ events: [], first: 4 });
    expect(store.after("resp_a", MCP, "s", { streamId: "st", seq: 9 })).toBeUndefined();
  });

  it("is bounded per stream, per id in characters, and in streams per id", () => {
    const store = new ReplayStore({ maxEventsPerStream: 3, maxCharsPerId: 10, maxStreamsPerId: 2 });
    for (let i = 1; i <= 5; i++) store.append("resp_a", MCP, undefined, "st", `${i}`);
    // Events 1 and 2 are forgotten: a client that saw only 1 cannot be made whole.
    expect(store.after("resp_a", MCP, undefined, { streamId: "st", seq: 1 })).toBeUndefined();
    expect(store.after("resp_a", MCP, undefined, { streamId: "st", seq: 2 })).toEqual({
      events: ["3", "4", "5"],
      first: 3,
    });
    store.append("resp_a", MCP, undefined, "st", "123456789");
    expect(store.chars("resp_a")).toBeLessThanOrEqual(10);
    store.append("resp_a", MCP, undefined, "s2", "x");
    store.append("resp_a", MCP, undefined, "s3", "y");
    expect(store.after("resp_a", MCP, undefined, { streamId: "st", seq: 6 })).toBeUndefined();
    store.drop("resp_a");
    expect(store.chars()).toBe(0);
  });

  it("event ids round-trip and foreign ones are ignored", () => {
    expect(parseEventId(formatEventId({ streamId: "Ab_-9", seq: 42 }))).toEqual({ streamId: "Ab_-9", seq: 42 });
    for (const bad of [undefined, "", "x", "a.b", "a/b.1", `${"a".repeat(65)}.1`])
      expect(parseEventId(bad)).toBeUndefined();
  });
});

describe("a GET stream's message queue", () => {
  it("holds at most maxQueuedMessages for a reader that does not take them; past it the subscription is ended", async () => {
    const { SseStreamRegistry } = await import("../src/index.js");
    const registry = new SseStreamRegistry();
    let closed = 0;
    const subscription = registry.subscribe(
      "resp_a",
      MCP,
      { onPending: () => undefined, onClose: () => closed++ },
      { maxQueuedMessages: 2 },
    );
    expect(registry.deliver("resp_a", MCP, undefined, "one")).toBe(true);
    expect(registry.deliver("resp_a", MCP, undefined, "two")).toBe(true);
    expect(registry.deliver("resp_a", MCP, undefined, "three")).toBe(false);
    expect(subscription?.closed).toBe(true);
    expect(closed).toBe(1);
    expect(registry.subscriberCount("resp_a")).toBe(0);
    expect(registry.deliver("resp_a", MCP, undefined, "four")).toBe(false);
  });
});
