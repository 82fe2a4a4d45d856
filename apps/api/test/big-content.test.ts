import { describe, expect, it } from "vitest";
import type { Chunk } from "@conduit/protocol";
import { MAX_DELTA_UNITS } from "../src/engine/content-slices.js";
import { byIndex, contentOf, mockBody, openRawSocket, sseData, useSharedApi } from "./helpers.js";

const api = useSharedApi();

// ~10 slices; astral characters straddle every slice edge (the run of "a" is one unit short of a slice).
const CONTENT = `${"a".repeat(MAX_DELTA_UNITS - 1)}${"😀".repeat(MAX_DELTA_UNITS * 4)}é${"b".repeat(MAX_DELTA_UNITS)}𝄞`;

function checkAgents(chunks: Chunk[], n: number): void {
  const agents = byIndex(chunks);
  expect(agents.size).toBe(n);
  for (const list of agents.values()) {
    const deltas = list.filter((chunk) => chunk.delta !== undefined);
    expect(deltas.length).toBeGreaterThan(3);
    for (const chunk of deltas) expect(chunk.delta!.content.length).toBeLessThanOrEqual(MAX_DELTA_UNITS);
    expect(contentOf(list)).toBe(CONTENT);
    expect(list.at(-1)).toMatchObject({ finish_reason: "stop" });
  }
}

describe("a big content turn", () => {
  it("reaches every agent of a WebSocket swarm intact, in deltas of at most MAX_DELTA_UNITS", async () => {
    const socket = await openRawSocket(api().wsUrl, JSON.stringify(mockBody([{ content: CONTENT }], { n: 3 })));
    expect((await socket.closed).code).toBe(1000);
    checkAgents(
      socket.frames.filter((frame) => frame.type === "chunk").map((frame) => frame.data as Chunk),
      3,
    );
  });

  it("reaches every agent of an SSE POST intact, in deltas of at most MAX_DELTA_UNITS", async () => {
    const response = await fetch(`${api().baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify(mockBody([{ content: CONTENT }], { n: 2, stream: true })),
    });
    expect(response.status).toBe(200);
    const data = sseData(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    checkAgents(
      data.slice(0, -1).map((text) => JSON.parse(text) as Chunk),
      2,
    );
  });

  it("reaches every agent of a unary POST intact", async () => {
    const response = await fetch(`${api().baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify(mockBody([{ content: CONTENT }], { n: 2 })),
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { agents: { index: number; content: string; finish_reason: string }[] };
    expect(json.agents.map((agent) => agent.index)).toEqual([0, 1]);
    for (const agent of json.agents) {
      expect(agent.content).toBe(CONTENT);
      expect(agent.finish_reason).toBe("stop");
    }
  });
});
