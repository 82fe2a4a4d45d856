import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Chunk } from "@conduit/protocol";
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from "vitest";
import { WebSocket } from "ws";
import { ConduitError, attach, type AttachSession } from "../src/index.js";
import { FakeApi, chunk } from "./helpers/fake-api.js";
import { bodyDeclaring, startHarness, stopAll } from "./helpers/session.js";

afterEach(stopAll);

async function collect(session: AttachSession): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const item of session) chunks.push(item);
  return chunks;
}

describe("the stream", () => {
  test("sends the body as the first frame with the headers, yields chunks in order, finishes with 1000", async () => {
    const body = { agent: { upstream: "mock", turns: [{ content: "hi" }] }, n: 2 };
    const { conn, session } = await startHarness({ body, headers: { authorization: "Bearer k", "x-extra": "1" } });
    expect(await conn.body).toEqual(body);
    expect(conn.headers.authorization).toBe("Bearer k");
    expect(conn.headers["x-extra"]).toBe("1");
    expect(conn.protocol).toBe("conduit.v1");

    const sent = Array.from({ length: 50 }, (_, i) =>
      chunk(i % 2, `resp_${i % 2}`, { delta: { content: `part ${i}` } }),
    );
    const collecting = collect(session);
    for (const data of sent) conn.sendChunk(data);
    conn.close(1000);
    expect(await collecting).toEqual(sent);
    expect(await session.closed).toEqual({ kind: "finished", code: 1000 });
  });

  test("chunks keep unknown fields and the server's key order", async () => {
    const { conn, session } = await startHarness();
    const raw = `{"type":"chunk","data":{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":0.5},"finish_reason":"stop","created":5,"index":0,"object":"agent.completion.chunk","id":"r","extra":[1]}}`;
    conn.sendRaw(raw);
    conn.close(1000);
    const [only] = await collect(session);
    expect(JSON.stringify(only)).toBe(JSON.stringify((JSON.parse(raw) as { data: unknown }).data));
  });

  test("an error frame ends the iterator normally and `closed` reports error_frame", async () => {
    const { conn, session } = await startHarness();
    conn.sendChunk(chunk(0, "r0", { delta: { content: "a" } }));
    conn.sendError(-32603, "engine exploded", 1011);
    expect(await collect(session)).toHaveLength(1);
    expect(await session.closed).toEqual({
      kind: "error_frame",
      code: 1011,
      error: { code: -32603, message: "engine exploded" },
    });
  });

  test("any other close code is abnormal, with the reason", async () => {
    const { conn, session } = await startHarness();
    conn.close(1001);
    expect(await collect(session)).toEqual([]);
    expect(await session.closed).toEqual({ kind: "abnormal", code: 1001, reason: "connection closed" });
  });

  test("frames that are not valid JSON or of an unknown type are dropped without killing the stream", async () => {
    const { conn, session, logs } = await startHarness();
    conn.sendRaw("not json");
    conn.sendRaw(JSON.stringify({ type: "mystery" }));
    conn.sendRaw(JSON.stringify({ type: "chunk", data: { id: "" } }));
    conn.socket.send(Buffer.from([1, 2, 3]));
    const good = chunk(0, "r", { notification: { content: "still alive" } });
    conn.sendChunk(good);
    conn.close(1000);
    expect(await collect(session)).toEqual([good]);
    expect(await session.closed).toEqual({ kind: "finished", code: 1000 });
    expect(logs.filter((log) => log.level === "warn" && log.message.startsWith("dropped"))).toHaveLength(4);
  });

  test("after a consumer breaks out of for-await, chunks no iterator waits for are not kept", async () => {
    const { conn, session } = await startHarness();
    const first = chunk(0, "r", { delta: { content: "first" } });
    conn.sendChunk(first);
    for await (const item of session) {
      expect(item).toEqual(first);
      break;
    }
    // Nobody iterates now: these must not pile up in memory for the rest of the session.
    for (let i = 0; i < 100; i++) conn.sendChunk(chunk(0, "r", { delta: { content: `unread ${i}` } }));
    // Frames arrive in order: once the notify is answered, every chunk above has been received.
    const delivered = session.notify("r", "sync");
    conn.respond((await conn.nextClientRequest()).id);
    await delivered;

    const later = session[Symbol.asyncIterator]();
    const pending = later.next();
    const last = chunk(0, "r", { delta: { content: "for the new iterator" } });
    conn.sendChunk(last);
    expect(await pending).toEqual({ done: false, value: last });
    conn.close(1000);
    expect(await later.next()).toEqual({ done: true, value: undefined });
  });

  test("a server_request for a method on no session is answered, never left hanging", async () => {
    // Declared, but with no upstream configured.
    const { conn } = await startHarness({ body: bodyDeclaring(["objectiveai"]) });
    const answers = await Promise.all([
      conn.request("objectiveai", "tools/list", {}),
      conn.request("objectiveai", "initialize", { arguments: {}, initialize: {} }),
      conn.request("objectiveai", "session/terminate"),
    ]);
    expect(answers.map((answer) => answer.error?.code ?? "ok")).toEqual([-32001, -32004, "ok"]);
  });
});

describe("connection failures", () => {
  test("HTTP 401 on the upgrade is abnormal with the status in the reason", async () => {
    const api = await FakeApi.start({ apiKey: "right" });
    try {
      const session = attach({ url: api.url, body: {}, headers: { authorization: "Bearer wrong" } });
      expect(await collect(session)).toEqual([]);
      const outcome = await session.closed;
      expect(outcome).toMatchObject({ kind: "abnormal", code: 1006 });
      expect(outcome.kind === "abnormal" && outcome.reason).toMatch(/^HTTP 401/);
    } finally {
      await api.stop();
    }
  });

  test("http:// is mapped to ws:// and the right key is accepted", async () => {
    const api = await FakeApi.start({ apiKey: "right" });
    try {
      const session = attach({
        url: api.url.replace("ws://", "http://"),
        body: {},
        headers: { authorization: "Bearer right" },
      });
      const conn = await api.nextConnection();
      conn.close(1000);
      expect(await session.closed).toEqual({ kind: "finished", code: 1000 });
    } finally {
      await api.stop();
    }
  });

  test("a refused connection is abnormal", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const session = attach({ url: `ws://127.0.0.1:${port}/`, body: {} });
    const outcome = await session.closed;
    expect(outcome).toMatchObject({ kind: "abnormal", code: 1006 });
    expect(outcome.kind === "abnormal" && outcome.reason).toMatch(/ECONNREFUSED/);
    await expect(session.notify("r", "x")).rejects.toMatchObject({ code: -32002 });
  });

  describe("heartbeats on a clock the test drives", () => {
    // The client's heartbeat runs on a fake clock that moves only when the test says so; sockets stay real.
    // A stalled event loop then cannot make an answered ping look late. The period is long because the
    // client also uses it as its opening-handshake timeout, which runs on Node's own (real) socket timer.
    const HEARTBEAT_MS = 30_000;
    let socketsListening: MockInstance<WebSocket["on"]>;

    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
      socketsListening = vi.spyOn(WebSocket.prototype, "on");
    });

    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    /** The attach client's own socket: the client-side one (it has a url) that listens for pongs. */
    function attachSocket(): WebSocket {
      const index = socketsListening.mock.calls.findIndex(
        ([event], i) => event === "pong" && (socketsListening.mock.contexts[i] as WebSocket).url !== undefined,
      );
      if (index === -1) throw new Error("the attach client registered no pong listener");
      return socketsListening.mock.contexts[index] as WebSocket;
    }

    test("a server that stops answering is taken as gone after two heartbeats: abnormal, upstreams shut down", async () => {
      const { conn, session } = await startHarness({ heartbeatMs: HEARTBEAT_MS }, { autoPong: false });
      // The client starts beating when it sends the body.
      await conn.body;
      let pinged = 0;
      conn.socket.on("ping", () => (pinged += 1));
      // First beat: the connection itself was the last thing heard, so the client pings.
      const firstPing = new Promise((resolve) => conn.socket.once("ping", resolve));
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
      await firstPing;
      // Second beat: that ping went unanswered.
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
      const outcome = await session.closed;
      expect(outcome).toMatchObject({
        kind: "abnormal",
        code: 1006,
        reason: `no answer from the server for ${2 * HEARTBEAT_MS} ms`,
      });
      expect(await conn.closed).toBe(1006);
      expect(pinged).toBe(1);
    });

    test("a server that answers pings keeps the session through many heartbeats", async () => {
      const { conn, session } = await startHarness({ heartbeatMs: HEARTBEAT_MS });
      await conn.body;
      const client = attachSocket();
      for (let beat = 0; beat < 5; beat += 1) {
        // The server answers the beat's ping (autoPong); the next beat comes only once the client has the pong.
        const pongHandled = new Promise((resolve) => client.once("pong", resolve));
        await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
        await pongHandled;
      }
      expect(conn.socket.readyState).toBe(conn.socket.OPEN);
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
      expect(conn.socket.readyState).toBe(conn.socket.OPEN);
      await session.close();
      expect(await session.closed).toMatchObject({ kind: "abnormal", reason: "closed by client" });
    });
  });

  test("bad options throw synchronously: TypeError for a wrong type or shape, RangeError for a number out of range", () => {
    expect(() => attach({ url: "ftp://example.com", body: {} })).toThrow(TypeError);
    expect(() =>
      attach({ url: "ws://127.0.0.1:1", body: {}, mcps: { "not a kind": { kind: "stdio", command: "x" } } }),
    ).toThrow(TypeError);
    expect(() =>
      attach({ url: "ws://127.0.0.1:1", body: {}, mcps: { objectiveai: { kind: "http", url: "nope" } } }),
    ).toThrow(TypeError);
    expect(() => attach({ url: "ws://127.0.0.1:1", body: undefined })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => attach({ url: "ws://127.0.0.1:1", body: cyclic })).toThrow(TypeError);
    // Node runs a timer past 2^31-1 ms (or a non-positive one) after 1 ms: every upstream call would fail at once.
    for (const upstreamTimeoutMs of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
      expect(() => attach({ url: "ws://127.0.0.1:1", body: {}, upstreamTimeoutMs })).toThrow(RangeError);
    }
    for (const heartbeatMs of [-1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => attach({ url: "ws://127.0.0.1:1", body: {}, heartbeatMs })).toThrow(RangeError);
    }
    for (const maxUpstreams of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => attach({ url: "ws://127.0.0.1:1", body: {}, maxUpstreams })).toThrow(/maxUpstreams/);
    }
  });
});

describe("notify and close", () => {
  test("notify sends agent_completion_notify and settles on the client_response", async () => {
    const { conn, session } = await startHarness();
    const delivered = session.notify("resp_a", "please stop");
    const request = await conn.nextClientRequest();
    expect(request).toMatchObject({
      type: "client_request",
      method: "agent_completion_notify",
      params: { response_id: "resp_a", content: "please stop" },
    });
    conn.respond(request.id);
    await expect(delivered).resolves.toBeUndefined();

    const rejected = session.notify("resp_unknown", "hello");
    const second = await conn.nextClientRequest();
    conn.respond(second.id, { code: 404, message: "unknown response_id" });
    const error = await rejected.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConduitError);
    expect(error).toMatchObject({ code: 404, message: "unknown response_id" });
    expect(conn.invalidFrames).toEqual([]);
  });

  test("a notify still pending when the socket closes is rejected with -32002", async () => {
    const { conn, session } = await startHarness();
    const pending = session.notify("resp_a", "x");
    await conn.nextClientRequest();
    conn.close(1000);
    await expect(pending).rejects.toMatchObject({ code: -32002 });
  });

  test("aborting the signal closes the socket with 1001", async () => {
    const controller = new AbortController();
    const { conn, session } = await startHarness({ signal: controller.signal });
    await conn.body;
    controller.abort();
    expect(await conn.closed).toBe(1001);
    expect(await session.closed).toEqual({ kind: "abnormal", code: 1001, reason: "closed by client" });
  });
});
