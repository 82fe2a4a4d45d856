import { describe, expect, it, vi } from "vitest";
import type { Mock } from "vitest";
import { LIST_KINDS, OBJECTIVEAI_MCP, parseMcpKind } from "@conduit/protocol";
import type { ListKind, McpKind } from "@conduit/protocol";
import { SseStreamRegistry, socketHooksFor } from "../src/index.js";
import type { SubscriptionHandlers } from "../src/index.js";

function kind(text: string): McpKind {
  const parsed = parseMcpKind(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.kind;
}

const FS = kind("acme/files/1.0.0/fs");

type MockHandlers = SubscriptionHandlers & { onPending: Mock<() => void>; onClose: Mock<() => void> };

function handlers(): MockHandlers {
  return { onPending: vi.fn<() => void>(), onClose: vi.fn<() => void>() };
}

describe("SseStreamRegistry", () => {
  it("delivers a published signal through take()", () => {
    const registry = new SseStreamRegistry();
    const h = handlers();
    const sub = registry.subscribe("id-1", OBJECTIVEAI_MCP, h);
    expect(sub).not.toBeNull();
    expect(sub?.responseId).toBe("id-1");
    expect(sub?.mcp).toBe(OBJECTIVEAI_MCP);
    expect(sub?.closed).toBe(false);
    expect(sub?.take()).toEqual([]);

    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "tools")).toBe(1);
    expect(h.onPending).toHaveBeenCalledTimes(1);
    expect(sub?.take()).toEqual(["tools"]);
    expect(sub?.take()).toEqual([]);
  });

  it("coalesces repeated signals of one kind and calls onPending once", () => {
    const registry = new SseStreamRegistry();
    const h = handlers();
    const sub = registry.subscribe("id-1", OBJECTIVEAI_MCP, h);
    for (let i = 0; i < 1000; i += 1) registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
    expect(h.onPending).toHaveBeenCalledTimes(1);
    expect(sub?.take()).toEqual(["tools"]);
    expect(sub?.take()).toEqual([]);
  });

  it("calls onPending again once take() has emptied the subscription", () => {
    const registry = new SseStreamRegistry();
    const h = handlers();
    const sub = registry.subscribe("id-1", OBJECTIVEAI_MCP, h);
    registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
    registry.publish("id-1", OBJECTIVEAI_MCP, "prompts");
    expect(h.onPending).toHaveBeenCalledTimes(1);
    sub?.take();
    registry.publish("id-1", OBJECTIVEAI_MCP, "resources");
    expect(h.onPending).toHaveBeenCalledTimes(2);
    expect(sub?.take()).toEqual(["resources"]);
  });

  it("returns pending kinds in LIST_KINDS order whatever the publish order", () => {
    const registry = new SseStreamRegistry();
    const sub = registry.subscribe("id-1", FS, handlers());
    registry.publish("id-1", FS, "prompts");
    registry.publish("id-1", FS, "tools");
    registry.publish("id-1", FS, "resources");
    registry.publish("id-1", FS, "prompts");
    expect(sub?.take()).toEqual(["tools", "resources", "prompts"]);
    expect(LIST_KINDS).toEqual(["tools", "resources", "prompts"]);
  });

  it("keeps at most one pending signal per kind under 100k publishes", () => {
    const registry = new SseStreamRegistry();
    const h = handlers();
    const sub = registry.subscribe("id-1", FS, h);
    const kinds: readonly ListKind[] = LIST_KINDS;
    for (let i = 0; i < 100_000; i += 1) registry.publish("id-1", FS, kinds[i % 3] ?? "tools");
    expect(h.onPending).toHaveBeenCalledTimes(1);
    expect(sub?.take()).toEqual(["tools", "resources", "prompts"]);
    expect(sub?.take()).toEqual([]);
  });

  it("signals every subscriber of a key, and only that key", () => {
    const registry = new SseStreamRegistry();
    const a = handlers();
    const b = handlers();
    const other = handlers();
    const subA = registry.subscribe("id-1", FS, a);
    const subB = registry.subscribe("id-1", FS, b);
    const subOther = registry.subscribe("id-1", OBJECTIVEAI_MCP, other);
    expect(registry.publish("id-1", FS, "resources")).toBe(2);
    expect(a.onPending).toHaveBeenCalledTimes(1);
    expect(b.onPending).toHaveBeenCalledTimes(1);
    expect(other.onPending).not.toHaveBeenCalled();
    expect(subA?.take()).toEqual(["resources"]);
    expect(subB?.take()).toEqual(["resources"]);
    expect(subOther?.take()).toEqual([]);
  });

  it("returns 0 when publishing to a key nobody listens on", () => {
    const registry = new SseStreamRegistry();
    expect(registry.publish("nobody", OBJECTIVEAI_MCP, "tools")).toBe(0);
    registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers());
    expect(registry.publish("id-1", FS, "tools")).toBe(0);
    expect(registry.publish("id-2", OBJECTIVEAI_MCP, "tools")).toBe(0);
    expect(registry.keyCount).toBe(1);
  });

  it("counts subscribers overall, per id and per (id, mcp)", () => {
    const registry = new SseStreamRegistry();
    registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers());
    registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers());
    registry.subscribe("id-1", FS, handlers());
    registry.subscribe("id-2", FS, handlers());
    expect(registry.subscriberCount()).toBe(4);
    expect(registry.subscriberCount("id-1")).toBe(3);
    expect(registry.subscriberCount("id-1", OBJECTIVEAI_MCP)).toBe(2);
    expect(registry.subscriberCount("id-2", OBJECTIVEAI_MCP)).toBe(0);
    expect(registry.subscriberCount("id-3")).toBe(0);
    expect(registry.keyCount).toBe(3);
  });

  it("closeAll closes every subscription of the id, runs onClose and empties the registry", () => {
    const registry = new SseStreamRegistry();
    const a = handlers();
    const b = handlers();
    const kept = handlers();
    const subA = registry.subscribe("id-1", OBJECTIVEAI_MCP, a);
    const subB = registry.subscribe("id-1", FS, b);
    const subKept = registry.subscribe("id-2", FS, kept);
    registry.publish("id-1", FS, "tools");

    expect(registry.closeAll("id-1")).toBe(2);
    expect(a.onClose).toHaveBeenCalledTimes(1);
    expect(b.onClose).toHaveBeenCalledTimes(1);
    expect(kept.onClose).not.toHaveBeenCalled();
    expect(subA?.closed).toBe(true);
    expect(subB?.closed).toBe(true);
    expect(subB?.take()).toEqual([]);
    expect(subKept?.closed).toBe(false);
    expect(registry.subscriberCount("id-1")).toBe(0);
    expect(registry.subscriberCount()).toBe(1);
    expect(registry.keyCount).toBe(1);
    expect(registry.publish("id-1", FS, "tools")).toBe(0);
    expect(registry.closeAll("id-1")).toBe(0);

    // close() after the registry closed it changes nothing and does not run onClose again.
    subA?.close();
    expect(a.onClose).toHaveBeenCalledTimes(1);
    expect(registry.subscriberCount()).toBe(1);

    expect(registry.closeAll("id-2")).toBe(1);
    expect(registry.subscriberCount()).toBe(0);
    expect(registry.keyCount).toBe(0);
  });

  it("close() is idempotent, does not run onClose and stops signals", () => {
    const registry = new SseStreamRegistry();
    const h = handlers();
    const sub = registry.subscribe("id-1", OBJECTIVEAI_MCP, h);
    registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers());
    registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
    sub?.close();
    sub?.close();
    expect(sub?.closed).toBe(true);
    expect(sub?.take()).toEqual([]);
    expect(h.onClose).not.toHaveBeenCalled();
    expect(registry.subscriberCount("id-1")).toBe(1);
    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "prompts")).toBe(1);
    expect(h.onPending).toHaveBeenCalledTimes(1);
  });

  it("removes a key when its last subscriber leaves", () => {
    const registry = new SseStreamRegistry();
    const first = registry.subscribe("id-1", FS, handlers());
    const second = registry.subscribe("id-1", FS, handlers());
    expect(registry.keyCount).toBe(1);
    first?.close();
    expect(registry.keyCount).toBe(1);
    expect(registry.subscriberCount("id-1", FS)).toBe(1);
    second?.[Symbol.dispose]();
    expect(second?.closed).toBe(true);
    expect(registry.keyCount).toBe(0);
    expect(registry.subscriberCount()).toBe(0);
    expect(registry.closeAll("id-1")).toBe(0);
  });

  it("refuses a subscription past maxSubscribersPerId over all mcps of the id", () => {
    const registry = new SseStreamRegistry({ maxSubscribersPerId: 2 });
    const first = registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers());
    expect(registry.subscribe("id-1", FS, handlers())).not.toBeNull();
    expect(registry.subscribe("id-1", FS, handlers())).toBeNull();
    expect(registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers())).toBeNull();
    expect(registry.subscribe("id-2", OBJECTIVEAI_MCP, handlers())).not.toBeNull();
    expect(registry.subscriberCount("id-1")).toBe(2);

    first?.close();
    expect(registry.subscribe("id-1", FS, handlers())).not.toBeNull();
  });

  it("allows 16 subscribers per id by default", () => {
    const registry = new SseStreamRegistry();
    for (let i = 0; i < 16; i += 1) expect(registry.subscribe("id-1", FS, handlers())).not.toBeNull();
    expect(registry.subscribe("id-1", OBJECTIVEAI_MCP, handlers())).toBeNull();
    expect(registry.subscriberCount()).toBe(16);
  });

  it("rejects an invalid maxSubscribersPerId", () => {
    expect(() => new SseStreamRegistry({ maxSubscribersPerId: -1 })).toThrow(RangeError);
    expect(() => new SseStreamRegistry({ maxSubscribersPerId: 1.5 })).toThrow(RangeError);
    expect(new SseStreamRegistry({ maxSubscribersPerId: 0 }).subscribe("id-1", FS, handlers())).toBeNull();
  });

  it("signals every subscriber even when one onPending throws", () => {
    const registry = new SseStreamRegistry();
    const good = handlers();
    registry.subscribe("id-1", FS, {
      onPending: () => {
        throw new Error("boom");
      },
    });
    const sub = registry.subscribe("id-1", FS, good);
    expect(() => registry.publish("id-1", FS, "tools")).toThrow("boom");
    expect(good.onPending).toHaveBeenCalledTimes(1);
    expect(sub?.take()).toEqual(["tools"]);
  });

  it("lets an onClose handler subscribe the same id again", () => {
    const registry = new SseStreamRegistry({ maxSubscribersPerId: 1 });
    let again: ReturnType<SseStreamRegistry["subscribe"]> = null;
    registry.subscribe("id-1", FS, {
      onPending: () => {},
      onClose: () => {
        again = registry.subscribe("id-1", FS, handlers());
      },
    });
    expect(registry.closeAll("id-1")).toBe(1);
    expect(again).not.toBeNull();
    expect(registry.subscriberCount("id-1", FS)).toBe(1);
    expect(registry.keyCount).toBe(1);
  });
});

describe("socketHooksFor", () => {
  it("closes every released id's streams even when one id's handler throws, then rethrows", () => {
    const streams = new SseStreamRegistry();
    const hooks = socketHooksFor(streams);
    const closed: string[] = [];
    streams.subscribe("resp_a", OBJECTIVEAI_MCP, {
      onPending: () => {},
      onClose: () => {
        throw new Error("handler a");
      },
    });
    streams.subscribe("resp_b", OBJECTIVEAI_MCP, { onPending: () => {}, onClose: () => closed.push("resp_b") });
    streams.subscribe("resp_kept", OBJECTIVEAI_MCP, { onPending: () => {} });

    expect(() => hooks.onReleased(["resp_a", "resp_b"])).toThrow("handler a");
    expect(closed).toEqual(["resp_b"]);
    expect(streams.subscriberCount("resp_a") + streams.subscriberCount("resp_b")).toBe(0);
    expect(streams.subscriberCount("resp_kept")).toBe(1);
  });

  it("publishes list_changed and delivers upstream messages through the registry", () => {
    const streams = new SseStreamRegistry();
    const hooks = socketHooksFor(streams);
    const subscription = streams.subscribe("resp_a", OBJECTIVEAI_MCP, { onPending: () => {} });
    expect(hooks.onListChanged("resp_a", OBJECTIVEAI_MCP, "tools")).toBe(1);
    expect(hooks.onUpstreamMessage("resp_a", OBJECTIVEAI_MCP, undefined, '{"jsonrpc":"2.0","method":"x"}')).toBe(true);
    expect(hooks.onUpstreamMessage("resp_none", OBJECTIVEAI_MCP, undefined, "{}")).toBe(false);
    expect(subscription?.take()).toEqual(["tools"]);
    expect(subscription?.takeMessages()).toEqual(['{"jsonrpc":"2.0","method":"x"}']);
  });
});
