import { once } from "node:events";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ForwardedEvent } from "../src/index.js";
import { POST_HEADERS, closeHarnesses, post, rpc, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

/** Opens a POST over node:http without ending it; the caller writes the body. */
function openPost(url: string, headers: Record<string, string>) {
  const req = httpRequest(url, { method: "POST", headers: { ...POST_HEADERS, ...headers }, agent: false });
  const response = once(req, "response") as Promise<[IncomingMessage]>;
  // The server may close the connection while we are still writing, and a test that
  // destroys the request never awaits the response: neither is an unhandled failure.
  req.on("error", () => {});
  response.catch(() => {});
  return { req, response };
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk as string;
  return JSON.parse(text);
}

describe("body limit", () => {
  it("413 when the body is over maxBodyBytes", async () => {
    const { endpoint, responseId, attach } = await startHarness({ maxBodyBytes: 256 });
    const big = rpc("tools/call", { name: "x", arguments: { pad: "x".repeat(400) } });
    const { status, json, headers } = await post(endpoint, responseId, big);
    expect(status).toBe(413);
    expect(headers.get("connection")).toBe("close");
    expect(json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    expect(attach.frames).toHaveLength(0);
    // A body at the limit still goes through.
    const small = rpc("tools/call", { name: "x", arguments: { pad: "" } });
    expect((await post(endpoint, responseId, small)).status).toBe(200);
  });

  it("413 up front from Content-Length, without waiting for the body", async () => {
    const { endpoint, responseId, attach } = await startHarness({ maxBodyBytes: 1024 });
    const { req, response } = openPost(endpoint, {
      "x-objectiveai-response-id": responseId,
      "content-length": "10000000",
    });
    req.write("{");
    const [res] = await response;
    expect(res.statusCode).toBe(413);
    expect(await readJson(res)).toMatchObject({ error: { code: -32600 } });
    req.destroy();
    expect(attach.frames).toHaveLength(0);
  });

  it("413 for a chunked body with no Content-Length, as soon as the count passes the limit", async () => {
    const { endpoint, responseId, attach } = await startHarness({ maxBodyBytes: 100 });
    const { req, response } = openPost(endpoint, {
      "x-objectiveai-response-id": responseId,
      "transfer-encoding": "chunked",
    });
    req.write('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"');
    req.write("y".repeat(80));
    // The request is never ended: the answer must not wait for the rest.
    const [res] = await response;
    expect(res.headers["content-length"]).toBeDefined();
    expect(res.statusCode).toBe(413);
    expect(await readJson(res)).toMatchObject({ error: { code: -32600 } });
    req.destroy();
    expect(attach.frames).toHaveLength(0);
  });
});

describe("reverse channel failures", () => {
  it("504 -32003 when the attach client never answers; nothing stays pending", async () => {
    const events: ForwardedEvent[] = [];
    const { endpoint, responseId, attach } = await startHarness({
      handler: () => undefined,
      timeoutMs: 50,
      observer: { forwarded: (event) => events.push(event) },
    });
    const { status, json } = await post(endpoint, responseId, rpc("tools/call", { name: "slow" }, 21));
    expect(status).toBe(504);
    expect(json).toMatchObject({ jsonrpc: "2.0", id: 21, error: { code: -32003 } });
    expect(attach.channel.pending.size).toBe(0);
    expect(events).toEqual([
      { method: "tools/call", mcp: "objectiveai", outcome: "timeout", durationMs: expect.any(Number), responseId },
    ]);
  });

  it("a late answer after the timeout is dropped", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, timeoutMs: 50 });
    expect((await post(endpoint, responseId, rpc("tools/list"))).status).toBe(504);
    expect(attach.answer(attach.frames[0]!, { result: { tools: [] } })).toBe(false);
  });

  it("notifications time out too, so they never leak a pending entry", async () => {
    const events: ForwardedEvent[] = [];
    const { endpoint, responseId, attach } = await startHarness({
      handler: () => undefined,
      timeoutMs: 50,
      observer: { forwarded: (event) => events.push(event) },
    });
    const { status } = await post(
      endpoint,
      responseId,
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: {} }),
    );
    expect(status).toBe(202);
    expect(attach.channel.pending.size).toBe(1);
    await vi.waitFor(() => expect(events.map((event) => event.outcome)).toEqual(["timeout"]));
    expect(attach.channel.pending.size).toBe(0);
  });

  it("503 -32002 when the channel closes mid-request", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const reply = post(endpoint, responseId, rpc("prompts/get", { name: "p" }, 22));
    await attach.frame("prompts/get");
    attach.channel.close();
    const { status, json } = await reply;
    expect(status).toBe(503);
    expect(json).toMatchObject({ id: 22, error: { code: -32002 } });
  });

  it("429 -32005 when too many requests are in flight on the channel", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, maxPending: 1 });
    const first = post(endpoint, responseId, rpc("tools/call", { name: "a" }, 1));
    const firstFrame = await attach.frame("tools/call");
    const { status, json } = await post(endpoint, responseId, rpc("tools/call", { name: "b" }, 2));
    expect(status).toBe(429);
    expect(json).toMatchObject({ id: 2, error: { code: -32005 } });
    expect(attach.frames).toHaveLength(1);
    attach.answer(firstFrame, { result: { content: [] } });
    expect((await first).status).toBe(200);
  });

  it("404 -32001 when the id is released while the body is still arriving", async () => {
    const { endpoint, responseId, attach, registry, listener } = await startHarness();
    const { server } = listener;
    const routed = once(server, "request");
    const { req, response } = openPost(endpoint, {
      "x-objectiveai-response-id": responseId,
      "transfer-encoding": "chunked",
    });
    req.write('{"jsonrpc":"2.0","id":5,');
    // The route is the server's first "request" listener: once this one runs, the header check has passed.
    await routed;
    registry.unregister(responseId, attach.channel);
    req.end('"method":"tools/list"}');
    const [res] = await response;
    expect(res.statusCode).toBe(404);
    expect(await readJson(res)).toMatchObject({ id: 5, error: { code: -32001 } });
  });

  it("client disconnect mid-request aborts the forwarded request: no pending entry leaks", async () => {
    const events: ForwardedEvent[] = [];
    const { endpoint, responseId, attach } = await startHarness({
      handler: () => undefined,
      observer: { forwarded: (event) => events.push(event) },
    });
    const { req } = openPost(endpoint, { "x-objectiveai-response-id": responseId });
    req.end(rpc("tools/call", { name: "long" }, 9));
    const frame = await attach.frame("tools/call");
    expect(attach.channel.pending.has(frame.id)).toBe(true);
    req.destroy();
    await vi.waitFor(() => expect(attach.channel.pending.size).toBe(0));
    expect(events.map((event) => event.outcome)).toEqual(["channel_closed"]);
    expect(attach.answer(frame, { result: {} })).toBe(false);
  });
});

describe("observer", () => {
  it("reports ok and upstream_error outcomes with method, mcp and duration", async () => {
    const events: ForwardedEvent[] = [];
    const { listener, responseId } = await startHarness({ observer: { forwarded: (event) => events.push(event) } });
    const endpoint = `${listener.url}/acme/files/1.0.0/fs`;
    await post(endpoint, responseId, rpc("tools/call", { name: "echo", arguments: {} }));
    await post(endpoint, responseId, rpc("tools/call", { name: "fail" }));
    await post(endpoint, responseId, rpc("ping"));
    expect(events.map(({ method, mcp, outcome }) => ({ method, mcp, outcome }))).toEqual([
      { method: "tools/call", mcp: "acme/files/1.0.0/fs", outcome: "ok" },
      { method: "tools/call", mcp: "acme/files/1.0.0/fs", outcome: "upstream_error" },
    ]);
    for (const event of events) expect(event.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("a throwing observer does not fail the request", async () => {
    const { endpoint, responseId } = await startHarness({
      observer: {
        forwarded: () => {
          throw new Error("metrics broke");
        },
      },
    });
    const { status, json } = await post(endpoint, responseId, rpc("tools/list", undefined, 4));
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: 4, result: { tools: [{ name: "echo" }] } });
  });
});
