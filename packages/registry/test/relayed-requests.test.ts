import type { McpKind } from "@conduit/protocol";
import { describe, expect, it } from "vitest";
import { RelayedRequests, ReverseChannel } from "../src/index.js";

const MCP = "objectiveai" as McpKind;
const OTHER_MCP = "acme/files/1.0.0/fs" as McpKind;

describe("RelayedRequests", () => {
  it("hands an entry only to the agent and mcp it was relayed to, once; 1 and '1' are different ids", () => {
    const relayed = new RelayedRequests();
    relayed.add("u1", { responseId: "resp_a", mcp: MCP });
    relayed.add(1, { responseId: "resp_a", mcp: MCP });
    expect(relayed.take("u1", "resp_b", MCP)).toBeUndefined();
    expect(relayed.take("u1", "resp_a", OTHER_MCP)).toBeUndefined();
    expect(relayed.take("1", "resp_a", MCP)).toBeUndefined();
    expect(relayed.take("u1", "resp_a", MCP)).toEqual({ id: "u1", responseId: "resp_a", mcp: MCP });
    expect(relayed.take("u1", "resp_a", MCP)).toBeUndefined();
    expect(relayed.take(1, "resp_a", MCP)).toBeDefined();
    expect(relayed.size).toBe(0);
  });

  it("holds at most `max`: at N+1 the oldest is evicted and handed back, so its upstream can be answered", () => {
    const relayed = new RelayedRequests(3);
    for (const id of ["u1", "u2", "u3"]) expect(relayed.add(id, { responseId: "resp_a", mcp: MCP })).toBeUndefined();
    expect(relayed.add("u4", { responseId: "resp_a", mcp: MCP })).toEqual({ id: "u1", responseId: "resp_a", mcp: MCP });
    expect(relayed.size).toBe(3);
    expect(relayed.take("u1", "resp_a", MCP)).toBeUndefined();
  });

  it("is emptied when its channel closes", () => {
    const channel = new ReverseChannel({ write: () => undefined, maxRelayed: 2 });
    channel.relayed.add("u1", { responseId: "resp_a", mcp: MCP });
    channel.close();
    expect(channel.relayed.size).toBe(0);
    expect(channel.relayed.max).toBe(2);
  });
});
