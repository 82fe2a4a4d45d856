import { describe, expect, it } from "vitest";
import {
  decodeClientFrame,
  decodeFrame,
  decodeServerFrame,
  FrameEncodeError,
  encodeFrame,
  errorMessage,
  frameText,
  isInitializeServerResponseResult,
  type ClientFrame,
  type DecodeResult,
  type Frame,
  type ServerFrame,
} from "../src/index.js";
import { decodeBody } from "../src/body/index.js";
import { kind } from "./arbitraries.js";

const FS = kind("acme/files/1.0.0/fs");

/** One frame of every kind SPEC §4 names, by direction. */
const CLIENT_FRAMES = {
  "server_response with result": { type: "server_response", id: "req-1", result: { tools: [{ name: "read" }] } },
  "server_response with an initialize result": {
    type: "server_response",
    id: 7,
    result: {
      result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "fs", version: "1" } },
      mcp_session_id: "sess-1",
    },
  },
  "server_response with error": {
    type: "server_response",
    id: 2,
    error: { code: -32004, message: "upstream failed", data: { cause: "ECONNREFUSED" } },
  },
  "client_request agent_completion_notify": {
    type: "client_request",
    id: "c-1",
    method: "agent_completion_notify",
    params: { response_id: "resp_abc", content: "please also check the README" },
  },
  "client_request mcp_list_changed": {
    type: "client_request",
    id: 3,
    method: "mcp_list_changed",
    params: { mcp: FS, list: "tools" },
  },
  "client_request elicitation_response accept": {
    type: "client_request",
    id: "e-1",
    method: "elicitation_response",
    params: {
      response_id: "resp_abc",
      elicitation_id: "elic_1",
      action: "accept",
      content: { name: "Ada", age: 36, agree: true, tags: ["a", "b"] },
    },
  },
  "client_request elicitation_response decline": {
    type: "client_request",
    id: 4,
    method: "elicitation_response",
    params: { response_id: "resp_abc", elicitation_id: "elic_1", action: "decline" },
  },
} satisfies Record<string, ClientFrame>;

const chunkBase = { id: "resp_abc", object: "agent.completion.chunk" as const, index: 0, created: 1_700_000_000 };

const SERVER_FRAMES = {
  "chunk with delta": { type: "chunk", data: { ...chunkBase, delta: { content: "Hello" } } },
  "chunk with tool_call": {
    type: "chunk",
    data: { ...chunkBase, tool_call: { id: "call_1", mcp: FS, name: "read_file", arguments: { path: "/etc/hosts" } } },
  },
  "chunk with tool_result": {
    type: "chunk",
    data: {
      ...chunkBase,
      index: 3,
      tool_result: {
        tool_call_id: "call_1",
        content: [{ type: "text", text: "127.0.0.1 localhost" }],
        is_error: false,
      },
    },
  },
  "chunk with notification": { type: "chunk", data: { ...chunkBase, notification: { content: "also the README" } } },
  "chunk with tool_progress": {
    type: "chunk",
    data: { ...chunkBase, tool_progress: { tool_call_id: "call_1", progress: 3, total: 10, message: "indexing" } },
  },
  "chunk with tool_progress without total and message": {
    type: "chunk",
    data: { ...chunkBase, tool_progress: { tool_call_id: "call_1", progress: 0.5 } },
  },
  "chunk with a form elicitation": {
    type: "chunk",
    data: {
      ...chunkBase,
      elicitation: {
        id: "elic_1",
        tool_call_id: "call_1",
        mcp: FS,
        mode: "form",
        message: "Who are you?",
        requested_schema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
      },
    },
  },
  "chunk with a url elicitation": {
    type: "chunk",
    data: {
      ...chunkBase,
      elicitation: { id: "elic_2", mcp: FS, mode: "url", message: "Sign in", url: "https://example.com/login" },
    },
  },
  "chunk with elicitation_result": {
    type: "chunk",
    data: { ...chunkBase, elicitation_result: { id: "elic_2", action: "cancel", source: "timeout" } },
  },
  "chunk with finish_reason and usage": {
    type: "chunk",
    data: {
      ...chunkBase,
      finish_reason: "stop",
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    },
  },
  "server_request initialize": {
    type: "server_request",
    id: 1,
    mcp: FS,
    method: "initialize",
    params: {
      arguments: { root: "/home/me", token: null },
      initialize: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "agent", version: "0" } },
    },
    headers: { "x-objectiveai-response-id": "resp_abc", "mcp-session-id": "sess-1" },
  },
  "server_request tools/call": {
    type: "server_request",
    id: "srv-2",
    mcp: kind("objectiveai"),
    method: "tools/call",
    params: { name: "search", arguments: { q: "conduit" } },
    headers: {},
  },
  "server_request session/terminate without params": {
    type: "server_request",
    id: 9,
    mcp: FS,
    method: "session/terminate",
    headers: { "mcp-session-id": "sess-1" },
  },
  "client_response ok": { type: "client_response", id: "c-1", ok: true },
  "client_response error": {
    type: "client_response",
    id: "c-2",
    ok: false,
    error: { code: 404, message: "unknown response_id" },
  },
  "error frame": { type: "error", error: { code: -32602, message: "field n: too small" } },
} satisfies Record<string, ServerFrame>;

function encoded(frame: Frame): string {
  const result = encodeFrame(frame);
  if (!result.ok) throw new Error(result.error);
  return result.text;
}

function expectError<T>(result: DecodeResult<T>, kind: string, messagePart?: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.kind).toBe(kind);
  if (messagePart !== undefined) expect(result.error.message).toContain(messagePart);
}

describe("round trip of every client frame", () => {
  it.each(Object.entries(CLIENT_FRAMES))("%s", (_name, frame) => {
    const text = encoded(frame);
    expect(decodeFrame(text)).toStrictEqual({ ok: true, value: frame });
    expect(decodeClientFrame(text)).toStrictEqual({ ok: true, value: frame });
    expectError(decodeServerFrame(text), "unknown_type", frame.type);
  });
});

describe("round trip of every server frame", () => {
  it.each(Object.entries(SERVER_FRAMES))("%s", (_name, frame) => {
    const text = encoded(frame);
    expect(decodeFrame(text)).toStrictEqual({ ok: true, value: frame });
    expect(decodeServerFrame(text)).toStrictEqual({ ok: true, value: frame });
    expectError(decodeClientFrame(text), "unknown_type", frame.type);
  });
});

describe("encodeFrame", () => {
  it("writes one JSON object", () => {
    const text = encoded(SERVER_FRAMES["client_response ok"]);
    expect(JSON.parse(text)).toEqual({ type: "client_response", id: "c-1", ok: true });
  });

  it("reports a cyclic value instead of throwing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const result = encodeFrame({ type: "server_response", id: 1, result: cyclic });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/cannot be encoded/);
  });

  it("reports a BigInt instead of throwing", () => {
    const result = encodeFrame({ type: "server_response", id: 1, result: { n: 10n } });
    expect(result.ok).toBe(false);
  });
});

describe("frameText", () => {
  it("is encodeFrame's text", () => {
    const frame: Frame = { type: "cancel", id: 3, reason: "gone" };
    expect(frameText(frame)).toBe(JSON.stringify(frame));
  });

  it("throws FrameEncodeError, a TypeError naming the frame type, for a frame that cannot be encoded", () => {
    let thrown: unknown;
    try {
      frameText({ type: "server_response", id: 1, result: { n: 10n } });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FrameEncodeError);
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toMatch(/^server_response frame cannot be encoded: /);
  });
});

describe("errorMessage", () => {
  it("is an Error's message, or any other thrown value as text", () => {
    expect(errorMessage(new RangeError("out"))).toBe("out");
    expect(errorMessage("EPIPE")).toBe("EPIPE");
    expect(errorMessage(undefined)).toBe("undefined");
  });
});

describe("initialize results", () => {
  it("the decoded initialize answer is recognised", () => {
    const decoded = decodeClientFrame(encoded(CLIENT_FRAMES["server_response with an initialize result"]));
    expect(decoded.ok && decoded.value.type === "server_response" && "result" in decoded.value).toBe(true);
    if (decoded.ok && decoded.value.type === "server_response" && "result" in decoded.value) {
      expect(isInitializeServerResponseResult(decoded.value.result)).toBe(true);
    }
  });

  it.each([
    ["no session id", { result: {} }],
    ["an empty session id", { result: {}, mcp_session_id: "" }],
    ["a null result", { result: null, mcp_session_id: "s" }],
    ["not an object", "s"],
  ])("rejects %s", (_name, value) => {
    expect(isInitializeServerResponseResult(value)).toBe(false);
  });
});

describe("decode errors", () => {
  const decoders = { decodeFrame, decodeClientFrame, decodeServerFrame };

  describe.each(Object.entries(decoders))("%s", (_name, decode) => {
    it.each(["", "{", "nope", '{"type":"chunk"', "{'type':'chunk'}"])("invalid JSON %j", (text) => {
      expectError(decode(text), "invalid_json", "invalid JSON");
    });

    it.each(["[]", "null", "42", '"chunk"', "true", '[{"type":"chunk"}]'])("not an object: %s", (text) => {
      expectError(decode(text), "not_an_object");
    });

    it.each(["{}", '{"type":1}', '{"type":null}', '{"type":["chunk"]}', '{"type":"nope"}', '{"type":"CHUNK"}'])(
      "unknown type: %s",
      (text) => {
        expectError(decode(text), "unknown_type", "unknown frame type");
      },
    );

    // Regression: these names used to resolve to Object.prototype members and
    // made the decoder throw "schema.safeParse is not a function".
    it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"])(
      "type %j inherited from Object.prototype is an unknown type",
      (type) => {
        expectError(decode(JSON.stringify({ type, id: 1 })), "unknown_type");
      },
    );
  });
});

describe("invalid frames name the bad field", () => {
  it.each([
    [
      "server_request with a two-segment mcp",
      { ...SERVER_FRAMES["server_request tools/call"], mcp: "a/b" },
      "field mcp",
    ],
    [
      "server_request with a dots-only segment",
      { ...SERVER_FRAMES["server_request tools/call"], mcp: "a/../c/d" },
      "field mcp",
    ],
    [
      "server_request without headers",
      { type: "server_request", id: 1, mcp: "objectiveai", method: "tools/list" },
      "field headers",
    ],
    [
      "server_request with an empty method",
      { ...SERVER_FRAMES["server_request tools/call"], method: "" },
      "field method",
    ],
    [
      "server_request with a non-string header",
      { ...SERVER_FRAMES["server_request tools/call"], headers: { a: 1 } },
      "field headers.a",
    ],
    [
      "chunk with the wrong object",
      { type: "chunk", data: { ...chunkBase, object: "chat.completion.chunk" } },
      "field data.object",
    ],
    ["chunk with a negative index", { type: "chunk", data: { ...chunkBase, index: -1 } }, "field data.index"],
    [
      "chunk with an unknown finish_reason",
      { type: "chunk", data: { ...chunkBase, finish_reason: "done" } },
      "field data.finish_reason",
    ],
    [
      "chunk with a bad tool_call mcp",
      { type: "chunk", data: { ...chunkBase, tool_call: { id: "c", mcp: "x", name: "n", arguments: {} } } },
      "field data.tool_call.mcp",
    ],
    ["chunk with an empty id", { type: "chunk", data: { ...chunkBase, id: "" } }, "field data.id"],
    [
      "mcp_list_changed with an unknown list",
      { ...CLIENT_FRAMES["client_request mcp_list_changed"], params: { mcp: "objectiveai", list: "widgets" } },
      "field params.list",
    ],
    [
      "agent_completion_notify with an empty response_id",
      { ...CLIENT_FRAMES["client_request agent_completion_notify"], params: { response_id: "", content: "x" } },
      "field params.response_id",
    ],
    [
      "elicitation_response with content on a decline",
      {
        type: "client_request",
        id: 1,
        method: "elicitation_response",
        params: { response_id: "r", elicitation_id: "e", action: "decline", content: {} },
      },
      "content",
    ],
    [
      "elicitation_response with an unknown action",
      {
        type: "client_request",
        id: 1,
        method: "elicitation_response",
        params: { response_id: "r", elicitation_id: "e", action: "maybe" },
      },
      "field params.action",
    ],
    [
      "elicitation_response with a nested content value",
      {
        type: "client_request",
        id: 1,
        method: "elicitation_response",
        params: { response_id: "r", elicitation_id: "e", action: "accept", content: { a: { b: 1 } } },
      },
      "field params.content.a",
    ],
    [
      "elicitation_response with an empty elicitation_id",
      {
        type: "client_request",
        id: 1,
        method: "elicitation_response",
        params: { response_id: "r", elicitation_id: "", action: "cancel" },
      },
      "field params.elicitation_id",
    ],
    [
      "elicitation_response with an unknown param",
      {
        type: "client_request",
        id: 1,
        method: "elicitation_response",
        params: { response_id: "r", elicitation_id: "e", action: "cancel", extra: 1 },
      },
      "extra",
    ],
    [
      "chunk with an elicitation of an unknown mode",
      {
        type: "chunk",
        data: { ...chunkBase, elicitation: { id: "e", mcp: "objectiveai", mode: "voice", message: "m" } },
      },
      "field data.elicitation.mode",
    ],
    [
      "chunk with a tool_progress without progress",
      { type: "chunk", data: { ...chunkBase, tool_progress: { tool_call_id: "c" } } },
      "field data.tool_progress.progress",
    ],
    [
      "chunk with an elicitation_result of an unknown source",
      { type: "chunk", data: { ...chunkBase, elicitation_result: { id: "e", action: "accept", source: "robot" } } },
      "field data.elicitation_result.source",
    ],
    [
      "client_request with an unknown method",
      { type: "client_request", id: 1, method: "shutdown", params: {} },
      "field method",
    ],
    ["error frame without a message", { type: "error", error: { code: 1 } }, "field error.message"],
    ["error frame with a fractional code", { type: "error", error: { code: 1.5, message: "m" } }, "field error.code"],
  ])("%s", (_name, frame, field) => {
    expectError(decodeFrame(JSON.stringify(frame)), "invalid_frame", field);
  });

  it.each([
    ["server_response with neither result nor error", { type: "server_response", id: 1 }],
    [
      "server_response with both result and error",
      { type: "server_response", id: 1, result: {}, error: { code: 1, message: "m" } },
    ],
    ["server_response with an empty string id", { type: "server_response", id: "", result: {} }],
    ["server_response with a fractional id", { type: "server_response", id: 1.5, result: {} }],
    ["server_response with a 257-character id", { type: "server_response", id: "x".repeat(257), result: {} }],
    ["server_response with an unsafe integer id", { type: "server_response", id: 2 ** 53, result: {} }],
    [
      "client_response ok:true with an error",
      { type: "client_response", id: 1, ok: true, error: { code: 1, message: "m" } },
    ],
    ["client_response ok:false without an error", { type: "client_response", id: 1, ok: false }],
    ["an unknown key on a strict frame", { type: "error", error: { code: 1, message: "m" }, extra: 1 }],
  ])("rejects %s", (_name, frame) => {
    expectError(decodeFrame(JSON.stringify(frame)), "invalid_frame");
  });

  it("accepts a 256-character string id", () => {
    const frame = { type: "server_response", id: "x".repeat(256), result: null };
    expect(decodeFrame(JSON.stringify(frame)).ok).toBe(true);
  });

  it("keeps unknown chunk fields for forward compatibility", () => {
    const frame = { type: "chunk", data: { ...chunkBase, delta: { content: "a" }, logprobs: [0.5], model: "m" } };
    expect(decodeServerFrame(JSON.stringify(frame))).toStrictEqual({ ok: true, value: frame });
  });
});

describe("__proto__ keys never reach a prototype", () => {
  it("in loose chunk fields and in tool-call arguments", () => {
    const text =
      '{"type":"chunk","data":{"id":"r","object":"agent.completion.chunk","index":0,"created":1,' +
      '"__proto__":{"polluted":1},' +
      '"tool_call":{"id":"c","mcp":"objectiveai","name":"n","arguments":{"__proto__":{"polluted":2}}}}}';
    const result = decodeServerFrame(text);
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.type !== "chunk") return;
    const data: Record<string, unknown> = result.value.data;
    expect(data.polluted).toBeUndefined();
    expect(result.value.data.tool_call?.arguments.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("in opaque values, which pass through untouched as own keys", () => {
    const text = '{"type":"server_response","id":1,"result":{"__proto__":{"polluted":1}}}';
    const result = decodeClientFrame(text);
    expect(result.ok).toBe(true);
    if (!result.ok || !("result" in result.value)) return;
    const value = result.value.result as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(value.polluted).toBeUndefined();
  });
});

describe("errors inside a union name the closest branch's field", () => {
  it("a server_response with neither result nor error names `result`", () => {
    const decoded = decodeClientFrame('{"type":"server_response","id":1}');
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.message).toContain("field result");
  });

  it("an empty tool_calls turn names its path in the body", () => {
    const decoded = decodeBody('{"agent":{"upstream":"mock","turns":[{"tool_calls":[]}]}}');
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.message).toContain("field agent.turns.0.tool_calls");
  });
});

describe("deeply nested input", () => {
  const deep = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it("a frame whose type is nested 20,000 deep is refused, not thrown", () => {
    for (const decode of [decodeFrame, decodeClientFrame, decodeServerFrame]) {
      const decoded = decode(`{"type":${deep(20_000)}}`);
      expect(decoded).toMatchObject({ ok: false, error: { kind: "unknown_type" } });
    }
  });

  it("a known frame carrying a deeply nested payload decodes without throwing", () => {
    const decoded = decodeClientFrame(`{"type":"server_response","id":1,"result":${deep(20_000)}}`);
    expect(decoded.ok).toBe(true);
  });
});
