// The Streamable HTTP upstream transport (undici) against node:http servers on
// 127.0.0.1 whose every byte the test controls, and a real SDK server.
import type { ServerResponse } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { ConduitErrorCode } from "@conduit/protocol";
import { afterEach, expect, test, vi } from "vitest";
import { attach } from "../src/index.js";
import type { JsonRpcPeer } from "../src/upstream/jsonrpc-peer.js";
import { httpPeer, json, sseEvent, startRawUpstream, type RawUpstream } from "./helpers/raw-upstream.js";

const CALL_MS = 20_000;
const upstreams: RawUpstream[] = [];
const peers: JsonRpcPeer[] = [];
const tcpServers: TcpServer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
  for (const upstream of upstreams.splice(0)) await upstream.close();
  for (const server of tcpServers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function upstream(handler: Parameters<typeof startRawUpstream>[0]): Promise<RawUpstream> {
  const started = await startRawUpstream(handler);
  upstreams.push(started);
  return started;
}

function connect(url: string, limits: Parameters<typeof httpPeer>[1] = {}): ReturnType<typeof httpPeer> {
  const opened = httpPeer(url, limits);
  peers.push(opened.peer);
  return opened;
}

/** What `promise` rejects with (a resolution fails the test). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: number }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error as Error,
  );
}

const result = (id: unknown, value: unknown = { content: [] }): unknown => ({ jsonrpc: "2.0", id, result: value });

test("the session id of the initialize answer and the negotiated version go on every later request; close DELETEs", async () => {
  const remote = await upstream((request, res) => {
    const rpc = request.body?.method;
    if (request.method === "GET" || request.method === "DELETE") {
      res.writeHead(request.method === "GET" ? 405 : 200).end();
    } else if (rpc === "initialize") {
      json(res, result(request.body?.id, { protocolVersion: "2025-11-25" }), { "mcp-session-id": "sess-1" });
    } else if (request.body?.id === undefined) {
      res.writeHead(202).end();
    } else {
      json(res, result(request.body.id));
    }
  });
  const { peer, transport, errors } = connect(remote.url);
  await peer.start();
  await peer.request("initialize", { protocolVersion: "2025-11-25" }, CALL_MS);
  transport.setProtocolVersion("2025-11-25");
  await peer.notify("notifications/initialized", undefined, CALL_MS);
  await vi.waitFor(() => expect(remote.received.some((request) => request.method === "GET")).toBe(true));
  await peer.request("tools/list", {}, CALL_MS);
  await peer.close();

  const [initialize, ...later] = remote.received;
  expect(initialize?.headers["mcp-session-id"]).toBeUndefined();
  expect(initialize?.headers.accept).toBe("application/json, text/event-stream");
  expect(later.map((request) => request.method)).toEqual(["POST", "GET", "POST", "DELETE"]);
  for (const request of later) expect(request.headers["mcp-session-id"]).toBe("sess-1");
  for (const request of later) expect(request.headers["mcp-protocol-version"]).toBe("2025-11-25");
  expect(later[1]?.headers.accept).toBe("text/event-stream");
  // 405 on the GET stream is the server saying it has none: not an error.
  expect(errors).toEqual([]);
});

test("an SSE answer delivers progress, logging and the upstream's own request before the result, as they arrive", async () => {
  let held: ServerResponse | undefined;
  let callId: unknown;
  const remote = await upstream((request, res) => {
    const body = request.body ?? {};
    if (body.method === "tools/call") {
      callId = body.id;
      const token = (body.params as { _meta: { progressToken: number } })._meta.progressToken;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        sseEvent({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: token, progress: 1 } }),
      );
      const logging = sseEvent({
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "half" },
      });
      res.write(logging.slice(0, 20));
      res.write(logging.slice(20));
      res.write(sseEvent({ jsonrpc: "2.0", id: "s1", method: "sampling/createMessage", params: {} }));
      held = res;
    } else if (body.id === "s1") {
      // The answer to the upstream's request: only now does the result come, on the held stream.
      res.writeHead(202).end();
      held?.end(sseEvent(result(callId, { content: [{ type: "text", text: "done" }] })));
    } else {
      res.writeHead(202).end();
    }
  });
  const { peer } = connect(remote.url);
  await peer.start();
  const seen: string[] = [];
  const call = peer.call(
    "tools/call",
    { name: "slow", _meta: { progressToken: "agent-token" } },
    CALL_MS,
    (message) => {
      seen.push(message.method);
      if (message.method === "notifications/progress") {
        expect(message.params).toEqual({ progressToken: "agent-token", progress: 1 });
      }
      if (message.id === "s1") void peer.respond({ jsonrpc: "2.0", id: "s1", result: { content: {} } }, CALL_MS);
    },
  );
  const answer = await call.answer;
  seen.push("result");
  expect(answer).toEqual({ content: [{ type: "text", text: "done" }] });
  expect(seen).toEqual(["notifications/progress", "notifications/message", "sampling/createMessage", "result"]);
});

test("404 on a session fails that request with -32004 naming the status; the connection stays, as before", async () => {
  let expired = true;
  const remote = await upstream((request, res) => {
    if (request.body?.method === "initialize") json(res, result(request.body.id), { "mcp-session-id": "sess-2" });
    else if (request.method === "DELETE") res.writeHead(200).end();
    else if (expired) res.writeHead(404, { "content-type": "text/plain" }).end("Session not found");
    else json(res, result(request.body?.id, { ok: true }));
  });
  const { peer } = connect(remote.url);
  await peer.start();
  await peer.request("initialize", {}, CALL_MS);
  const failed = await rejection(peer.request("tools/list", {}, CALL_MS));
  expect(failed).toMatchObject({ code: ConduitErrorCode.UpstreamFailed });
  expect(failed.message).toContain("answered HTTP 404 Not Found (the upstream no longer knows this session)");
  expect(failed.message).toContain("Session not found");
  expect(peer.isClosed).toBe(false);
  expired = false;
  await expect(peer.request("tools/list", {}, CALL_MS)).resolves.toEqual({ ok: true });
});

test("an unreachable upstream's error names the cause: connect ECONNREFUSED host:port", async () => {
  const remote = await startRawUpstream(() => undefined);
  await remote.close();
  const { port } = new URL(remote.url);
  const { peer } = connect(remote.url);
  await peer.start();
  const failed = await rejection(peer.request("initialize", {}, CALL_MS));
  expect(failed.message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
  expect(failed.message).toContain("sending initialize failed");
});

test("cancel ends that POST through undici's request handle: the upstream sees its answer stream closed", async () => {
  let streamClosed = false;
  const remote = await upstream((request, res) => {
    if (request.body?.method === "tools/call") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": working\n\n");
      res.on("close", () => (streamClosed = true));
    } else {
      res.writeHead(202).end();
    }
  });
  const { peer } = connect(remote.url);
  await peer.start();
  const call = peer.call("tools/call", { name: "forever" }, CALL_MS, () => undefined);
  const outcome = call.answer.catch((error: unknown) => error);
  await vi.waitFor(() => expect(remote.received.some((request) => request.body?.method === "tools/call")).toBe(true));
  expect(peer.cancel(call.id, "the agent gave up", CALL_MS)).toBe(true);
  await vi.waitFor(() => expect(streamClosed).toBe(true));
  expect(await outcome).toMatchObject({ code: ConduitErrorCode.Cancelled });
  await vi.waitFor(() =>
    expect(remote.received.some((request) => request.body?.method === "notifications/cancelled")).toBe(true),
  );
});

test("an answer stream that ends without the result and without an event id fails its request at once", async () => {
  const remote = await upstream((_request, res) => {
    res
      .writeHead(200, { "content-type": "text/event-stream" })
      .end(sseEvent({ jsonrpc: "2.0", method: "notifications/message", params: {} }));
  });
  const { peer } = connect(remote.url);
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(/ended the answer stream before the result/);
});

test("an answer stream that ends after an event id is resumed with GET and Last-Event-ID; the standalone stream carries server messages", async () => {
  let resumedWith: string | undefined;
  let listId: unknown;
  const remote = await upstream((request, res) => {
    if (request.body?.method === "tools/list") {
      listId = request.body.id;
      res.writeHead(200, { "content-type": "text/event-stream" }).end("retry: 1\nid: prime-1\ndata: \n\n");
    } else if (request.method === "GET") {
      resumedWith = request.headers["last-event-id"] as string | undefined;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseEvent({ jsonrpc: "2.0", method: "notifications/message", params: { data: "from GET" } }));
      res.end(sseEvent(result(listId, { tools: [] }), "prime-2"));
    } else {
      res.writeHead(202).end();
    }
  });
  const { peer, unrelated } = connect(remote.url);
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).resolves.toEqual({ tools: [] });
  expect(resumedWith).toBe("prime-1");
  expect(unrelated).toEqual([{ jsonrpc: "2.0", method: "notifications/message", params: { data: "from GET" } }]);
});

/** A JSON-RPC result for `id` whose JSON text is exactly `size` bytes. */
function resultOfSize(id: unknown, size: number): string {
  const empty = JSON.stringify(result(id, { pad: "" }));
  return JSON.stringify(result(id, { pad: "x".repeat(size - empty.length) }));
}

test("maxJsonBytes: a JSON answer of exactly N bytes is delivered, one of N+1 fails the request", async () => {
  const SIZE = 4_000;
  const remote = await upstream((request, res) => {
    if (request.body?.id === undefined) res.writeHead(202).end();
    else res.writeHead(200, { "content-type": "application/json" }).end(resultOfSize(request.body.id, SIZE));
  });
  const { peer: fits } = connect(remote.url, { maxJsonBytes: SIZE });
  await fits.start();
  await expect(fits.request("tools/list", {}, CALL_MS)).resolves.toEqual({ pad: expect.any(String) });
  const { peer: over } = connect(remote.url, { maxJsonBytes: SIZE - 1 });
  await over.start();
  await expect(over.request("tools/list", {}, CALL_MS)).rejects.toThrow(
    /sent a JSON answer larger than 3999 bytes \(maxJsonBytes\)/,
  );
});

test("maxSseEventChars: an event line of N characters is delivered, one of N+1 ends the stream and fails the request", async () => {
  const LIMIT = 3_000;
  let closedStreams = 0;
  const remote = await upstream((request, res) => {
    if (request.body?.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.on("close", () => (closedStreams += 1));
    if (request.body.method === "tools/list") {
      // "data: " + the message: a line of exactly LIMIT characters.
      res.end(`data: ${resultOfSize(request.body.id, LIMIT - 6)}\n\n`);
    } else {
      // A line one character longer that never ends: the client must stop buffering it.
      res.write(`data: ${"x".repeat(LIMIT - 5)}`);
    }
  });
  const { peer } = connect(remote.url, { maxSseEventChars: LIMIT });
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).resolves.toEqual({ pad: expect.any(String) });
  await expect(peer.request("tools/call", {}, CALL_MS)).rejects.toThrow(
    /sent an event longer than 3000 characters \(maxSseEventChars\)/,
  );
  await vi.waitFor(() => expect(closedStreams).toBe(2));
});

test("headersTimeoutMs: an upstream that takes the request but never answers fails it with the setting named", async () => {
  const remote = await upstream(() => undefined);
  const { peer } = connect(remote.url, { headersTimeoutMs: 200 });
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(/headersTimeoutMs/);
});

test("connectTimeoutMs: a TLS upstream that never completes the handshake fails with the setting named", async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => void sockets.push(socket));
  tcpServers.push(silent);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as AddressInfo;
  const { peer } = connect(`https://127.0.0.1:${port}/mcp`, { connectTimeoutMs: 200 });
  await peer.start();
  await expect(peer.request("initialize", {}, CALL_MS)).rejects.toThrow(/connectTimeoutMs/);
  for (const socket of sockets) socket.destroy();
});

test("closeTimeoutMs: close() gives up on a DELETE the upstream never answers", async () => {
  const remote = await upstream((request, res) => {
    if (request.method === "DELETE") return;
    json(res, result(request.body?.id), { "mcp-session-id": "sess-3" });
  });
  const { peer } = connect(remote.url, { closeTimeoutMs: 100 });
  await peer.start();
  await peer.request("initialize", {}, CALL_MS);
  await peer.close();
  expect(remote.received.at(-1)).toMatchObject({ method: "DELETE", headers: { "mcp-session-id": "sess-3" } });
  expect(peer.isClosed).toBe(true);
});

test("attach() refuses an upstream bound that is not a whole number from 1 to 2 147 483 647", () => {
  const body = { client_objectiveai_mcp: { mcps: ["objectiveai"] } };
  const url = "ws://127.0.0.1:9/agent/completions";
  for (const spec of [
    { kind: "http" as const, url: "http://127.0.0.1:9/mcp", maxJsonBytes: 0 },
    { kind: "http" as const, url: "http://127.0.0.1:9/mcp", headersTimeoutMs: 1.5 },
    { kind: "stdio" as const, command: "node", maxLineBytes: 2 ** 31 },
  ]) {
    expect(() => attach({ url, body, mcps: { objectiveai: spec } })).toThrow(RangeError);
  }
});
