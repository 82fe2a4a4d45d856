import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMcpRoute } from "../src/index.js";
import { INITIALIZE_RESULT, SESSION_ID, closeHarnesses, post, rpc, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

describe("POST routing and validation", () => {
  it("400 without the routing header, before anything is forwarded", async () => {
    const { endpoint, attach } = await startHarness();
    const { status, json } = await post(endpoint, undefined, rpc("tools/list"));
    expect(status).toBe(400);
    expect(json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    expect(attach.frames).toHaveLength(0);
  });

  it("404 -32001 for an unknown response id, without echoing the id", async () => {
    const { endpoint, attach } = await startHarness();
    const { status, json } = await post(endpoint, "resp_not-a-registered-id", rpc("tools/list"));
    expect(status).toBe(404);
    expect(json).toMatchObject({ id: null, error: { code: -32001 } });
    expect(JSON.stringify(json)).not.toContain("resp_not-a-registered-id");
    expect(attach.frames).toHaveLength(0);
  });

  it("404 -32001 once the id was unregistered", async () => {
    const { endpoint, attach, registry, responseId } = await startHarness();
    expect((await post(endpoint, responseId, rpc("tools/list"))).status).toBe(200);
    registry.unregister(responseId, attach.channel);
    const { status, json } = await post(endpoint, responseId, rpc("tools/list"));
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: { code: -32001 } });
    expect(attach.methods()).toEqual(["tools/list"]);
  });

  it("404 for a path that is not an MCP route (query string ignored on good ones)", async () => {
    const { listener, responseId, attach } = await startHarness();
    for (const path of ["/", "/objectiveai/extra", "/a/b/c", "/a/b/../d", "/a/b/c/d/e"]) {
      const { status, json } = await post(`${listener.url}${path}`, responseId, rpc("tools/list"));
      expect(status, path).toBe(404);
      expect(json, path).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    }
    expect(attach.frames).toHaveLength(0);
    const ok = await post(`${listener.url}/acme/files/1.0.0/fs?x=1`, responseId, rpc("tools/list"));
    expect(ok.status).toBe(200);
    expect(attach.last("tools/list")?.mcp).toBe("acme/files/1.0.0/fs");
  });

  it("405 with Allow for other HTTP methods", async () => {
    const { endpoint, responseId } = await startHarness();
    const response = await fetch(endpoint, { method: "PUT", headers: { "x-objectiveai-response-id": responseId } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST, DELETE");
    expect(await response.json()).toMatchObject({ error: { code: -32600 } });
  });

  it("406 unless Accept allows both application/json and text/event-stream", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    for (const accept of [
      "application/json",
      "text/event-stream",
      "text/html",
      "application/json, text/event-stream;q=0",
    ]) {
      const { status } = await post(endpoint, responseId, rpc("tools/list"), { accept });
      expect(status, accept).toBe(406);
    }
    expect(attach.frames).toHaveLength(0);
    for (const accept of ["*/*", "application/*, text/*", "text/event-stream; q=0.5, application/json;charset=utf-8"]) {
      const { status } = await post(endpoint, responseId, rpc("tools/list"), { accept });
      expect(status, accept).toBe(200);
    }
  });

  it("406 when the most specific Accept range refuses a type with q=0, even if a wildcard allows it", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    for (const accept of [
      "application/json;q=0, */*",
      "text/event-stream;q=0, */*",
      "application/*;q=0, */*",
      "*/*, text/event-stream;q=0.000",
    ]) {
      const { status } = await post(endpoint, responseId, rpc("tools/list"), { accept });
      expect(status, accept).toBe(406);
    }
    expect(attach.frames).toHaveLength(0);
    for (const accept of [
      "*/*;q=0, application/json, text/event-stream",
      "application/*;q=0, application/json, text/*",
    ]) {
      const { status } = await post(endpoint, responseId, rpc("tools/list"), { accept });
      expect(status, accept).toBe(200);
    }
  });

  it("415 unless Content-Type is application/json (parameters allowed)", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const bad = await post(endpoint, responseId, rpc("tools/list"), { "content-type": "text/plain" });
    expect(bad.status).toBe(415);
    expect(attach.frames).toHaveLength(0);
    const good = await post(endpoint, responseId, rpc("tools/list"), {
      "content-type": "Application/JSON; charset=utf-8",
    });
    expect(good.status).toBe(200);
  });

  it("400 -32700 on invalid JSON", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    for (const body of ["{not json", ""]) {
      const { status, json } = await post(endpoint, responseId, body);
      expect(status).toBe(400);
      expect(json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    }
    expect(attach.frames).toHaveLength(0);
  });

  it("400 -32600 for batches and for messages that are not JSON-RPC 2.0", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const batch = await post(endpoint, responseId, `[${rpc("tools/list")},${rpc("prompts/list", undefined, 2)}]`);
    expect(batch.status).toBe(400);
    expect(batch.json).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining("batch") } });

    const cases: [string, unknown][] = [
      ["42", null],
      ['{"id":3,"method":"tools/list"}', 3],
      ['{"jsonrpc":"1.0","id":"a","method":"tools/list"}', "a"],
      ['{"jsonrpc":"2.0","id":4,"method":7}', 4],
      ['{"jsonrpc":"2.0","id":5,"method":"tools/call","params":"x"}', 5],
      ['{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}', null],
      ['{"jsonrpc":"2.0","id":6}', 6],
    ];
    for (const [body, id] of cases) {
      const { status, json } = await post(endpoint, responseId, body);
      expect(status, body).toBe(400);
      expect(json, body).toMatchObject({ jsonrpc: "2.0", id, error: { code: -32600 } });
    }
    expect(attach.frames).toHaveLength(0);
  });

  it("every method is forwarded, unknown ones too: the upstream answers for itself (-32601 passes through)", async () => {
    const { endpoint, responseId, attach } = await startHarness({
      handler: (frame) =>
        frame.method === "tasks/list"
          ? { result: { tasks: [] } }
          : { error: { code: -32601, message: `Method not found: ${frame.method}` } },
    });
    const unknown = await post(endpoint, responseId, rpc("vendor/frobnicate", { x: 1 }, 7));
    expect(unknown.status).toBe(200);
    expect(unknown.json).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32601, message: "Method not found: vendor/frobnicate" },
    });
    const tasks = await post(endpoint, responseId, rpc("tasks/list", { cursor: "c" }, 8));
    expect(tasks.json).toEqual({ jsonrpc: "2.0", id: 8, result: { tasks: [] } });
    expect(attach.methods()).toEqual(["vendor/frobnicate", "tasks/list"]);
    expect(attach.frames[1]?.params).toEqual({ cursor: "c" });
  });

  it("ping → {} locally", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const { status, json, headers } = await post(endpoint, responseId, rpc("ping", undefined, "p-1"));
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("application/json");
    expect(json).toEqual({ jsonrpc: "2.0", id: "p-1", result: {} });
    expect(attach.frames).toHaveLength(0);
  });

  it("forwards a request and replies with the result verbatim as one JSON body", async () => {
    const result = {
      content: [{ type: "text", text: "ünïcødé ✓" }],
      structuredContent: { n: 1.5, deep: [null, true] },
    };
    const { endpoint, responseId, attach } = await startHarness({ handler: () => ({ result }) });
    const { status, json, headers } = await post(
      endpoint,
      responseId,
      rpc("tools/call", { name: "x", arguments: { a: [1] } }, 9),
    );
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("application/json");
    expect(json).toEqual({ jsonrpc: "2.0", id: 9, result });
    expect(attach.frames[0]).toMatchObject({
      type: "server_request",
      mcp: "objectiveai",
      method: "tools/call",
      params: { name: "x", arguments: { a: [1] } },
    });
  });

  it("an upstream error passes through unchanged with HTTP 200", async () => {
    const error = { code: -32602, message: "unknown tool: nope", data: { tool: "nope" } };
    const { endpoint, responseId } = await startHarness({ handler: () => ({ error }) });
    const { status, json } = await post(endpoint, responseId, rpc("tools/call", { name: "nope" }, 10));
    expect(status).toBe(200);
    expect(json).toEqual({ jsonrpc: "2.0", id: 10, error });
  });

  it("answers a later answer once it arrives", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const reply = post(endpoint, responseId, rpc("resources/templates/list", {}, 11));
    const frame = await attach.frame("resources/templates/list");
    attach.answer(frame, { result: { resourceTemplates: [] } });
    expect((await reply).json).toEqual({ jsonrpc: "2.0", id: 11, result: { resourceTemplates: [] } });
  });

  it("notifications → 202 with no body, forwarded; responses nobody asked for → 400, not forwarded", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const notification = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/roots/list_changed",
      params: { n: 3 },
    });
    const accepted = await fetch(endpoint, {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        "x-objectiveai-response-id": responseId,
      },
      body: notification,
    });
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe("");
    expect(attach.methods()).toEqual(["notifications/roots/list_changed"]);
    expect(attach.frames[0]?.params).toEqual({ n: 3 });
    // Fire and forget: the pending entry lives on until answered (or timed out).
    expect(attach.channel.pending.size).toBe(1);
    attach.answer(attach.frames[0]!, { result: {} });
    expect(attach.channel.pending.size).toBe(0);

    for (const body of [
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"no"}}',
    ]) {
      const { status, json } = await post(endpoint, responseId, body);
      expect(status).toBe(400);
      expect(json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    }
    expect(attach.frames).toHaveLength(1);
    expect(attach.controlFrames).toHaveLength(0);
  });

  it("initialize: reply is the upstream result verbatim, Mcp-Session-Id header set", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const params = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } };
    const { status, json, headers } = await post(endpoint, responseId, rpc("initialize", params, 0), {
      "x-objectiveai-arguments": '{"z":"1","a":null}',
    });
    expect(status).toBe(200);
    expect(json).toEqual({ jsonrpc: "2.0", id: 0, result: INITIALIZE_RESULT });
    expect(headers.get("mcp-session-id")).toBe(SESSION_ID);
    expect(attach.frames[0]?.params).toEqual({ arguments: { z: "1", a: null }, initialize: params });
  });

  it("initialize without params → 400 -32602, not forwarded", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const { status, json } = await post(endpoint, responseId, rpc("initialize", undefined, 1));
    expect(status).toBe(400);
    expect(json).toMatchObject({ id: 1, error: { code: -32602 } });
    expect(attach.frames).toHaveLength(0);
  });

  it("initialize with a malformed answer → 502 -32004", async () => {
    const answers: unknown[] = [
      { serverInfo: {} },
      { result: {}, mcp_session_id: "" },
      { result: "x", mcp_session_id: "s" },
      { result: {}, mcp_session_id: "has space" },
      { result: {}, mcp_session_id: "line\nbreak" },
    ];
    let next = 0;
    const { endpoint, responseId } = await startHarness({ handler: () => ({ result: answers[next++] }) });
    for (const answer of answers) {
      const { status, json, headers } = await post(endpoint, responseId, rpc("initialize", { capabilities: {} }, 2));
      expect(status, JSON.stringify(answer)).toBe(502);
      expect(json).toMatchObject({ id: 2, error: { code: -32004 } });
      expect(headers.get("mcp-session-id")).toBeNull();
    }
  });

  it("initialize answered with an mcp_session_id too long for an HTTP header → 502 -32004, not a broken reply", async () => {
    const longest = "s".repeat(4096);
    const answers = ["s".repeat(4097), "s".repeat(20_000), longest];
    let next = 0;
    const { endpoint, responseId } = await startHarness({
      handler: () => ({ result: { result: INITIALIZE_RESULT, mcp_session_id: answers[next++] } }),
    });
    for (const tooLong of answers.slice(0, 2)) {
      const { status, json, headers } = await post(endpoint, responseId, rpc("initialize", { capabilities: {} }, 4));
      expect(status, `${tooLong.length} characters`).toBe(502);
      expect(json).toMatchObject({ id: 4, error: { code: -32004 } });
      expect(headers.get("mcp-session-id")).toBeNull();
    }
    const ok = await post(endpoint, responseId, rpc("initialize", { capabilities: {} }, 5));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("mcp-session-id")).toBe(longest);
  });

  it("a forwarded request whose answer has no result → 502 -32004", async () => {
    const { endpoint, responseId } = await startHarness({ handler: () => ({ result: undefined }) });
    const { status, json } = await post(endpoint, responseId, rpc("tools/list", undefined, 3));
    expect(status).toBe(502);
    expect(json).toMatchObject({ id: 3, error: { code: -32004 } });
  });
});

describe("mounted behind a host server that already read the body", () => {
  it("answers 500 -32603 at once instead of waiting for a body that will never come", async () => {
    const { registry, listeners, responseId } = await startHarness();
    const route = createMcpRoute({ registry, listeners });
    const server = createServer((req, res) => {
      req.resume();
      req.once("end", () => route(req, res));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const reply = await post(`http://127.0.0.1:${port}/objectiveai`, responseId, rpc("tools/list"));
      expect(reply.status).toBe(500);
      expect(reply.json).toMatchObject({ error: { code: -32603, message: expect.stringMatching(/already read/) } });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
