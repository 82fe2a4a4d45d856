import { describe, expect, it } from "vitest";
import { MAX_LISTED_AGENTS } from "../src/index.js";
import type { ConduitSession } from "../src/session.js";
import { sessionSnapshot } from "../src/snapshot.js";

describe("sessionSnapshot", () => {
  it("lists at most MAX_LISTED_AGENTS shortened ids and counts them all", () => {
    const ids = Array.from({ length: MAX_LISTED_AGENTS + 5 }, (_, index) => `resp_${String(index).padStart(22, "x")}`);
    const session = {
      id: "sock_9",
      remoteAddress: "::1",
      subprotocol: "conduit.v1",
      connectedAt: new Date(1_000),
      responseIds: new Set(ids),
      declaredMcps: ["acme/files/1.0.0/fs"],
      inFlight: 2,
    } as unknown as ConduitSession;
    const listed = sessionSnapshot(session, 61_000);
    expect(listed).toMatchObject({
      id: "sock_9",
      remoteAddress: "::1",
      connectedMs: 60_000,
      agentCount: MAX_LISTED_AGENTS + 5,
      declaredMcps: ["acme/files/1.0.0/fs"],
      inFlight: 2,
    });
    expect(listed.agents).toHaveLength(MAX_LISTED_AGENTS);
    expect(listed.agents[0]).toBe(`${ids[0]!.slice(0, 12)}…`);
  });
});
