import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, startLibrarySession, useSharedApi } from "./helpers.js";

const DOUBLE_ELICIT = join(FIXTURES, "double-elicit.mjs");

const api = useSharedApi({ MAX_ELICITATIONS_PER_AGENT: "1", ELICITATION_TIMEOUT_MS: "300" });

describe("elicitation limits", () => {
  it("refuses an elicitation past MAX_ELICITATIONS_PER_AGENT (-32005) and answers cancel after ELICITATION_TIMEOUT_MS", async () => {
    const { session, chunks, waitFor } = startLibrarySession(
      api().wsUrl,
      {
        agent: { upstream: "mock", turns: [{ tool_calls: [{ mcp: "objectiveai", name: "elicit-twice" }] }] },
        client_objectiveai_mcp: { mcps: ["objectiveai"] },
      },
      { objectiveai: { kind: "stdio", command: process.execPath, args: [DOUBLE_ELICIT] } },
    );
    // Nobody answers: the one elicitation the agent may hold open times out.
    const result = await waitFor((chunk) => chunk.tool_result !== undefined, "the tool result");
    const asked = chunks.filter((chunk) => chunk.elicitation);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.elicitation).toMatchObject({
      mcp: "objectiveai",
      mode: "form",
      tool_call_id: result.tool_result!.tool_call_id,
    });
    expect(chunks.filter((chunk) => chunk.elicitation_result).map((chunk) => chunk.elicitation_result)).toEqual([
      { id: asked[0]!.elicitation!.id, action: "cancel", source: "timeout" },
    ]);
    const text = (result.tool_result!.content[0] as { text: string }).text;
    expect(text.split("; ").sort()).toEqual(["cancel", "error -32005"]);
    expect(await waitFor((chunk) => chunk.finish_reason !== undefined, "the final chunk")).toMatchObject({
      finish_reason: "stop",
    });
    expect(await session.closed).toEqual({ kind: "finished", code: 1000 });
  });
});
