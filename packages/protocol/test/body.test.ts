import { describe, expect, it } from "vitest";
import { type DecodeResult } from "../src/index.js";
import { decodeBody, parseRequestBody, type RequestBody } from "../src/body/index.js";

function expectError(result: DecodeResult<RequestBody>, kind: string, messagePart: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.kind).toBe(kind);
  expect(result.error.message).toContain(messagePart);
}

describe("decodeBody: valid bodies", () => {
  it("fills the defaults: n=1, stream=false, max_turns=8, messages=[]", () => {
    expect(decodeBody('{"agent":{"upstream":"mock"}}')).toStrictEqual({
      ok: true,
      value: { agent: { upstream: "mock", turns: [] }, messages: [], n: 1, stream: false, max_turns: 8 },
    });
  });

  it("keeps every field that was given", () => {
    const body = {
      agent: { upstream: "openai", model: "gpt-4o-mini", temperature: 0.2 },
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "list my files" },
      ],
      n: 3,
      stream: true,
      max_turns: 20,
      client_objectiveai_mcp: {
        mcps: ["objectiveai", "acme/files/1.0.0/fs"],
        arguments: { "acme/files/1.0.0/fs": { root: "/home/me", token: null } },
      },
    };
    expect(decodeBody(JSON.stringify(body))).toStrictEqual({ ok: true, value: body });
  });

  it("fills defaults inside a mock script", () => {
    const body = {
      agent: {
        upstream: "mock",
        turns: [
          { tool_calls: [{ mcp: "objectiveai", name: "search" }] },
          { await_notification: 1000 },
          { content: "done" },
        ],
      },
      client_objectiveai_mcp: { mcps: [] },
    };
    const result = decodeBody(JSON.stringify(body));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.agent).toStrictEqual({
      upstream: "mock",
      turns: [
        { tool_calls: [{ mcp: "objectiveai", name: "search", arguments: {} }] },
        { await_notification: 1000 },
        { content: "done" },
      ],
    });
    expect(result.value.client_objectiveai_mcp).toStrictEqual({ mcps: [], arguments: {} });
  });

  it("keeps a mock script's sampling and elicitation answers", () => {
    for (const agent of [
      {
        upstream: "mock",
        turns: [],
        sampling: { text: "a scripted completion", model: "mock-1" },
        elicitation: { action: "accept", content: { name: "Ada", n: 1, ok: true, picks: ["x"] } },
      },
      { upstream: "mock", turns: [], sampling: { text: "" }, elicitation: { action: "decline" } },
      { upstream: "mock", turns: [], elicitation: { action: "cancel" } },
      { upstream: "mock", turns: [], elicitation: { action: "accept" } },
    ]) {
      const result = decodeBody(JSON.stringify({ agent }));
      expect(result.ok && result.value.agent).toStrictEqual(agent);
    }
  });

  it("parseRequestBody accepts an already-parsed value", () => {
    const result = parseRequestBody({ agent: { upstream: "mock" }, n: 2 });
    expect(result.ok && result.value.n).toBe(2);
  });
});

describe("decodeBody: invalid bodies name the bad field", () => {
  const mock = { upstream: "mock" };
  it.each([
    ["n of 0", { agent: mock, n: 0 }, "field n"],
    ["fractional n", { agent: mock, n: 1.5 }, "field n"],
    ["n as a string", { agent: mock, n: "2" }, "field n"],
    ["stream as a string", { agent: mock, stream: "yes" }, "field stream"],
    ["max_turns of 0", { agent: mock, max_turns: 0 }, "field max_turns"],
    ["max_turns over 1000", { agent: mock, max_turns: 1001 }, "field max_turns"],
    ["no agent", { n: 1 }, "field agent"],
    ["an unknown upstream", { agent: { upstream: "claude" } }, "field agent.upstream"],
    ["an openai agent without a model", { agent: { upstream: "openai" } }, "field agent.model"],
    ["a temperature over 2", { agent: { upstream: "openai", model: "m", temperature: 3 } }, "field agent.temperature"],
    ["an unknown message role", { agent: mock, messages: [{ role: "robot", content: "x" }] }, "field messages.0.role"],
    ["messages not an array", { agent: mock, messages: "hi" }, "field messages"],
    [
      "a bad mcp kind",
      { agent: mock, client_objectiveai_mcp: { mcps: ["a/b"] } },
      "field client_objectiveai_mcp.mcps.0",
    ],
    [
      "a dots-only mcp segment",
      { agent: mock, client_objectiveai_mcp: { mcps: ["a/../c/d"] } },
      "field client_objectiveai_mcp.mcps.0",
    ],
    [
      "more than 64 mcps",
      { agent: mock, client_objectiveai_mcp: { mcps: Array.from({ length: 65 }, () => "objectiveai") } },
      "field client_objectiveai_mcp.mcps",
    ],
    [
      "a numeric mcp argument",
      { agent: mock, client_objectiveai_mcp: { mcps: [], arguments: { objectiveai: { a: 1 } } } },
      "field client_objectiveai_mcp.arguments.objectiveai.a",
    ],
    [
      "a mock tool call without a name",
      { agent: { upstream: "mock", turns: [{ tool_calls: [{ mcp: "objectiveai" }] }] } },
      "field agent.turns.0",
    ],
    ["an unknown top-level key", { agent: mock, temperature: 1 }, "temperature"],
    ["a sampling script without text", { agent: { ...mock, sampling: { model: "m" } } }, "field agent.sampling.text"],
    ["a sampling script with an unknown key", { agent: { ...mock, sampling: { text: "t", tokens: 3 } } }, "tokens"],
    [
      "an elicitation script with an unknown action",
      { agent: { ...mock, elicitation: { action: "maybe" } } },
      "field agent.elicitation.action",
    ],
    [
      "an elicitation script declining with content",
      { agent: { ...mock, elicitation: { action: "decline", content: { a: "b" } } } },
      "content",
    ],
    [
      "an elicitation script with a nested content value",
      { agent: { ...mock, elicitation: { action: "accept", content: { a: { b: "c" } } } } },
      "field agent.elicitation.content.a",
    ],
    ["sampling on an openai agent", { agent: { upstream: "openai", model: "m", sampling: { text: "t" } } }, "sampling"],
  ])("%s", (_name, body, field) => {
    expectError(decodeBody(JSON.stringify(body)), "invalid_frame", field);
  });
});

describe("decodeBody: not a body at all", () => {
  it.each(["", "{", "{agent:1}", "not json"])("invalid JSON %j → invalid_json", (text) => {
    expectError(decodeBody(text), "invalid_json", "invalid JSON");
  });

  it.each(["[]", "null", "42", '"body"', "false"])("%s → not_an_object", (text) => {
    expectError(decodeBody(text), "not_an_object", "request body");
  });

  it.each([[[]], [null], [7], ["text"]])("parseRequestBody(%j) → not_an_object", (value) => {
    const result = parseRequestBody(value);
    expect(result.ok || result.error.kind).toBe("not_an_object");
  });
});
