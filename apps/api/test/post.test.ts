import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Chunk } from "@conduit/protocol";
import { ECHO, byIndex, cleanup, contentOf, mockBody, sseData, startApi, type Api } from "./helpers.js";

let api: Api;
const MAX_BODY_BYTES = 4096;

beforeAll(async () => {
  api = await startApi({ MAX_SWARM: "4", MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
});

afterAll(async () => {
  await cleanup();
});

function post(body: unknown, path = "/agent/completions"): Promise<Response> {
  return fetch(`${api.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectError(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const json = (await response.json()) as { error: { code: number; message: string } };
  expect(json.error.code).toBe(status);
  return json.error.message;
}

describe("POST /agent/completions", () => {
  it("streams SSE chunks of every agent, then [DONE]", async () => {
    const response = await post(mockBody([{ content: "hello world" }], { n: 2, stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await response.text();
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const chunks = data.slice(0, -1).map((item) => JSON.parse(item) as Chunk);
    const agents = byIndex(chunks);
    expect([...agents.keys()].sort()).toEqual([0, 1]);
    for (const own of agents.values()) {
      expect(new Set(own.map((chunk) => chunk.id)).size).toBe(1);
      // Content is streamed in several deltas that add up to the turn.
      expect(own.filter((chunk) => chunk.delta).length).toBeGreaterThan(1);
      expect(contentOf(own)).toBe("hello world");
      expect(own.at(-1)).toMatchObject({ object: "agent.completion.chunk", finish_reason: "stop" });
      expect(typeof own[0]!.created).toBe("number");
    }
    expect(agents.get(0)![0]!.id).not.toBe(agents.get(1)![0]!.id);
  });

  it("answers one unary JSON aggregating each agent", async () => {
    const response = await post(mockBody([{ content: "first " }, ECHO("unused"), { content: "second" }], { n: 3 }));
    expect(response.status).toBe(200);
    const json = (await response.json()) as {
      object: string;
      created: number;
      agents: {
        id: string;
        index: number;
        content: string;
        tool_calls: unknown[];
        tool_results: { is_error: boolean }[];
        finish_reason: string;
        usage: unknown;
      }[];
    };
    expect(json.object).toBe("agent.completion");
    expect(typeof json.created).toBe("number");
    expect(json.agents.map((agent) => agent.index)).toEqual([0, 1, 2]);
    expect(new Set(json.agents.map((agent) => agent.id)).size).toBe(3);
    for (const agent of json.agents) {
      expect(agent.content).toBe("first second");
      expect(agent.finish_reason).toBe("stop");
      expect(agent.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      // POST has no reverse channel: a tool call cannot reach an mcp and says so.
      expect(agent.tool_calls).toHaveLength(1);
      expect(agent.tool_results).toHaveLength(1);
      expect(agent.tool_results[0]!.is_error).toBe(true);
    }
  });

  it("ends with max_turns when the script has more turns than max_turns", async () => {
    const response = await post(mockBody([{ content: "a" }, { content: "b" }, { content: "c" }], { max_turns: 2 }));
    const json = (await response.json()) as { agents: { content: string; finish_reason: string }[] };
    expect(json.agents[0]).toMatchObject({ content: "ab", finish_reason: "max_turns" });
  });

  it("refuses client_objectiveai_mcp with 400", async () => {
    const message = await expectError(
      await post(mockBody([], { client_objectiveai_mcp: { mcps: ["objectiveai"], arguments: {} } })),
      400,
    );
    expect(message).toBe("client_objectiveai_mcp requires the WebSocket transport");
  });

  it("refuses an invalid body with 400 naming the field", async () => {
    expect(
      await expectError(await post({ agent: { upstream: "mock" }, messages: [{ role: "robot", content: "x" }] }), 400),
    ).toContain("messages.0.role");
    expect(await expectError(await post({ agent: { upstream: "mock" }, n: "two" }), 400)).toContain("field n");
    expect(await expectError(await post({ agent: { upstream: "mock" }, surprise: true }), 400)).toContain("surprise");
    expect(await expectError(await post("{not json"), 400)).toContain("not valid JSON");
  });

  it("refuses n > MAX_SWARM with 400", async () => {
    const message = await expectError(await post(mockBody([], { n: 5 })), 400);
    expect(message).toContain("field n");
    expect(message).toContain("MAX_SWARM (4)");
    expect((await post(mockBody([], { n: 4 }))).status).toBe(200);
  });

  it("refuses a body over MAX_BODY_BYTES with 413", async () => {
    const big = JSON.stringify(mockBody([{ content: "x".repeat(MAX_BODY_BYTES) }]));
    expect(await expectError(await post(big), 413)).toContain("MAX_BODY_BYTES");

    // Without a content-length (chunked), the limit applies while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${api.baseUrl}/agent/completions`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(big.slice(0, 3000));
      req.end(big.slice(3000));
    });
    expect(status).toBe(413);
  });

  it("answers unknown routes with 404 JSON and wrong methods with 405", async () => {
    expect(await expectError(await fetch(`${api.baseUrl}/nope`), 404)).toContain("/nope");
    const response = await fetch(`${api.baseUrl}/agent/completions`);
    await expectError(response, 405);
    expect(response.headers.get("allow")).toContain("POST");
  });

  it("serves /healthz", async () => {
    const response = await fetch(`${api.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
