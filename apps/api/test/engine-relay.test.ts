import { readFileSync } from "node:fs";
import { ConduitError } from "@conduit/client";
import type { Chunk } from "@conduit/protocol";
import { describe, expect, it } from "vitest";
import {
  DECLARE_EVERYTHING,
  exitWithin,
  isAlive,
  mockBody,
  startCli,
  startLibrarySession,
  useSharedApi,
} from "./helpers.js";

const api = useSharedApi();

const call = (name: string, args: Record<string, unknown> = {}): unknown => ({
  tool_calls: [{ mcp: "objectiveai", name, arguments: args }],
});

function textOf(chunk: Chunk | undefined): string {
  return (chunk?.tool_result?.content ?? []).map((block) => (block as { text?: string }).text ?? "").join("\n");
}

async function codeOf(promise: Promise<void>): Promise<number | "ok"> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    if (err instanceof ConduitError) return err.code;
    throw err;
  }
}

describe("the agent engine uses the relay", () => {
  it("streams a long-running tool's progress as tool_progress chunks, in order, before its result", async () => {
    const body = mockBody([call("trigger-long-running-operation", { duration: 0.3, steps: 3 })], DECLARE_EVERYTHING);
    const cli = startCli(api().wsUrl, body);
    const exit = await exitWithin(cli);
    expect(exit.code, cli.stderr.text()).toBe(0);
    const chunks = cli.chunks();
    const toolCall = chunks.findIndex((chunk) => chunk.tool_call);
    const result = chunks.findIndex((chunk) => chunk.tool_result);
    const id = chunks[toolCall]!.tool_call!.id;
    const progress = chunks.filter((chunk) => chunk.tool_progress);
    expect(progress.map((chunk) => chunk.tool_progress)).toEqual([
      { tool_call_id: id, progress: 1, total: 3 },
      { tool_call_id: id, progress: 2, total: 3 },
      { tool_call_id: id, progress: 3, total: 3 },
    ]);
    for (const chunk of progress) {
      const at = chunks.indexOf(chunk);
      expect(at).toBeGreaterThan(toolCall);
      expect(at).toBeLessThan(result);
    }
    expect(textOf(chunks[result])).toContain("Long running operation completed");
    expect(chunks.at(-1)).toMatchObject({ finish_reason: "stop" });
  });

  it("answers a sampling request with the mock script, and declines it without one", async () => {
    const sampled = startCli(api().wsUrl, {
      agent: {
        upstream: "mock",
        turns: [call("trigger-sampling-request", { prompt: "hello", maxTokens: 5 })],
        sampling: { text: "a scripted completion" },
      },
      ...DECLARE_EVERYTHING,
    });
    const declined = startCli(
      api().wsUrl,
      mockBody([call("trigger-sampling-request", { prompt: "hello" })], DECLARE_EVERYTHING),
    );
    expect((await exitWithin(sampled)).code, sampled.stderr.text()).toBe(0);
    expect((await exitWithin(declined)).code, declined.stderr.text()).toBe(0);

    const answer = sampled.chunks().find((chunk) => chunk.tool_result)!;
    expect(answer.tool_result!.is_error).toBe(false);
    const text = textOf(answer);
    expect(text).toContain("LLM sampling result");
    expect(text).toContain('"text": "a scripted completion"');
    expect(text).toContain('"model": "mock"');

    const refusal = declined.chunks().find((chunk) => chunk.tool_result)!;
    expect(refusal.tool_result!.is_error).toBe(true);
    expect(textOf(refusal)).toContain("sampling declined: the mock agent has no agent.sampling script");
    expect(declined.chunks().at(-1)).toMatchObject({ finish_reason: "stop" });
  });

  it("answers an elicitation from the mock script without asking anyone", async () => {
    const cli = startCli(api().wsUrl, {
      agent: {
        upstream: "mock",
        turns: [call("trigger-elicitation-request")],
        elicitation: { action: "accept", content: { name: "Scripted Name", check: true } },
      },
      ...DECLARE_EVERYTHING,
    });
    expect((await exitWithin(cli)).code, cli.stderr.text()).toBe(0);
    const chunks = cli.chunks();
    expect(chunks.some((chunk) => chunk.elicitation || chunk.elicitation_result)).toBe(false);
    const text = textOf(chunks.find((chunk) => chunk.tool_result));
    expect(text).toContain("User provided the requested information");
    expect(text).toContain("- Name: Scripted Name");
    expect(text).toContain("- Agreed to terms: true");
  });

  it("brings an elicitation to the CLI, which declines it when stdin is not interactive; the upstream sees the decline", async () => {
    const body = mockBody(
      [call("trigger-elicitation-request"), call("trigger-url-elicitation", { url: "https://example.com/consent" })],
      DECLARE_EVERYTHING,
    );
    const cli = startCli(api().wsUrl, body);
    expect((await exitWithin(cli)).code, cli.stderr.text()).toBe(0);
    const chunks = cli.chunks();
    const calls = chunks.filter((chunk) => chunk.tool_call).map((chunk) => chunk.tool_call!.id);
    const asked = chunks.filter((chunk) => chunk.elicitation).map((chunk) => chunk.elicitation!);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatchObject({
      id: expect.stringMatching(/^elic_/),
      tool_call_id: calls[0],
      mcp: "objectiveai",
      mode: "form",
      message: "Please provide inputs for the following fields:",
      requested_schema: { type: "object", required: ["name"] },
    });
    expect(asked[1]).toMatchObject({
      tool_call_id: calls[1],
      mode: "url",
      url: "https://example.com/consent",
    });
    const outcomes = chunks.filter((chunk) => chunk.elicitation_result).map((chunk) => chunk.elicitation_result);
    expect(outcomes).toEqual([
      { id: asked[0]!.id, action: "decline", source: "user" },
      { id: asked[1]!.id, action: "decline", source: "user" },
    ]);
    const results = chunks.filter((chunk) => chunk.tool_result);
    expect(textOf(results[0])).toContain("User declined to provide the requested information");
    expect(textOf(results[1])).toContain("User declined to open the URL");
    // Each outcome chunk comes before the result of its call.
    for (const [i, outcome] of outcomes.entries()) {
      const at = chunks.findIndex((chunk) => chunk.elicitation_result?.id === outcome!.id);
      expect(at).toBeLessThan(chunks.indexOf(results[i]!));
    }
    expect(cli.stderr.text()).toContain(
      "asks Please provide inputs for the following fields:: declined, stdin is not interactive",
    );
  });

  it("takes the user's answer through the library's respondElicitation; unknown and foreign ids get 404, a second answer 409", async () => {
    const asking = startLibrarySession(
      api().wsUrl,
      mockBody([call("trigger-elicitation-request")], DECLARE_EVERYTHING),
    );
    const waiting = startLibrarySession(api().wsUrl, mockBody([{ content: "ready" }, { await_notification: 20_000 }]));
    const elicitation = (await asking.waitFor((chunk) => chunk.elicitation !== undefined, "the elicitation chunk"))!;
    const ready = await waiting.waitFor((chunk) => chunk.delta !== undefined, "the other stream's first chunk");
    const askingId = elicitation.id;
    const elicitationId = elicitation.elicitation!.id;

    expect(await codeOf(asking.session.respondElicitation(askingId, "elic_unknown", "accept", { name: "x" }))).toBe(
      404,
    );
    // Another stream can name neither this agent nor this elicitation.
    expect(await codeOf(waiting.session.respondElicitation(askingId, elicitationId, "accept"))).toBe(404);
    expect(await codeOf(waiting.session.respondElicitation(ready.id, elicitationId, "accept"))).toBe(404);

    expect(
      await codeOf(asking.session.respondElicitation(askingId, elicitationId, "accept", { name: "Ada Lovelace" })),
    ).toBe("ok");
    expect(await codeOf(asking.session.respondElicitation(askingId, elicitationId, "decline"))).toBe(409);

    const result = await asking.waitFor((chunk) => chunk.tool_result !== undefined, "the tool result");
    expect(textOf(result)).toContain("User provided the requested information");
    expect(textOf(result)).toContain("- Name: Ada Lovelace");
    expect(asking.chunks.find((chunk) => chunk.elicitation_result)?.elicitation_result).toEqual({
      id: elicitationId,
      action: "accept",
      source: "user",
    });
    await asking.waitFor((chunk) => chunk.finish_reason !== undefined, "the final chunk");
    expect(await asking.session.closed).toEqual({ kind: "finished", code: 1000 });
    expect(await codeOf(waiting.session.notify(ready.id, "go"))).toBe("ok");
    expect(await waiting.session.closed).toEqual({ kind: "finished", code: 1000 });

    const pids = readFileSync(asking.pidFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { pid: number }).pid);
    expect(pids).toHaveLength(1);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
