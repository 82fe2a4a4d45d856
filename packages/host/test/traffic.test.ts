import { describe, expect, it } from "vitest";
import { MAX_TRAFFIC_ROWS } from "../src/index.js";
import { TrafficCounter } from "../src/traffic.js";

describe("TrafficCounter", () => {
  it("sums the buckets of the window and forgets the ones that slid out", () => {
    let now = 1_000_000;
    const counter = new TrafficCounter(15_000, () => now);
    counter.record({ mcp: "objectiveai", method: "tools/call", outcome: "ok" });
    now += 5_000;
    counter.record({ mcp: "objectiveai", method: "tools/call", outcome: "ok" });
    counter.record({ mcp: "objectiveai", method: "tools/call", outcome: "timeout" });
    expect(counter.snapshot()).toMatchObject({
      total: 3,
      counts: [
        { mcp: "objectiveai", method: "tools/call", outcome: "ok", count: 2 },
        { mcp: "objectiveai", method: "tools/call", outcome: "timeout", count: 1 },
      ],
    });
    now += 12_000;
    expect(counter.snapshot()).toMatchObject({
      total: 2,
      counts: [
        { outcome: "ok", count: 1 },
        { outcome: "timeout", count: 1 },
      ],
    });
    now += 20_000;
    expect(counter.snapshot()).toMatchObject({ total: 0, counts: [] });
  });

  it("keeps at most MAX_TRAFFIC_ROWS distinct rows per bucket and counts the rest as other", () => {
    const counter = new TrafficCounter(60_000, () => 0);
    for (let index = 0; index < MAX_TRAFFIC_ROWS + 10; index++) {
      counter.record({ mcp: "objectiveai", method: `agent-made/${index}`, outcome: "ok" });
    }
    const snapshot = counter.snapshot();
    expect(snapshot.total).toBe(MAX_TRAFFIC_ROWS + 10);
    expect(snapshot.counts).toHaveLength(MAX_TRAFFIC_ROWS + 1);
    expect(snapshot.counts[0]).toEqual({ mcp: "*", method: "*", outcome: "other", count: 10 });
  });
});
