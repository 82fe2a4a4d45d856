import { once } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConduitErrorCode, OBJECTIVEAI_MCP } from "@conduit/protocol";
import { socketHooksFor } from "@conduit/listeners";
import { RegistrationLimitError, sendServerRequest } from "@conduit/registry";
import {
  TestClient,
  chunk,
  connectWithBody,
  startHarness,
  type Harness,
  type HarnessOptions,
  closeOpened,
  deferred,
} from "./helpers.js";

afterEach(closeOpened);

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness({ ...options, conduit: { timeoutMs: 600_000, ...options.conduit } });
  return harness;
}

async function connect(h: Harness, options: ConstructorParameters<typeof TestClient>[1] = {}) {
  const connected = await connectWithBody(h, options);
  return connected;
}

function request(h: Harness, responseId: string) {
  return sendServerRequest(h.registry, responseId, { mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
}

describe("heartbeat", () => {
  it("terminates a client that does not answer pings within idleTimeoutMs", async () => {
    const h = await start({ conduit: { heartbeatMs: 20, idleTimeoutMs: 100 } });
    const { client, server } = await connect(h, { autoPong: false });
    server.attached.handle.register("resp_idle");
    const closed = await server.attached.closed;
    expect(closed.code).toBe(1006);
    expect((await client.closed).code).toBe(1006);
    expect(server.attached.signal.aborted).toBe(true);
    expect(h.registry.has("resp_idle")).toBe(false);
  });

  describe("on a clock the test drives", () => {
    // The heartbeat's timers and its performance.now() run on a fake clock that moves only when the test says
    // so; sockets stay real. A stalled event loop then cannot make an answered ping look late.
    const HEARTBEAT_MS = 20;
    const IDLE_TIMEOUT_MS = 150;

    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
      vi.spyOn(performance, "now").mockImplementation(() => Date.now());
    });

    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    /** One heartbeat period on the fake clock: the ping goes out and the client's pong is back. */
    async function answeredPing(server: { ws: { once(event: "pong", listener: () => void): unknown } }) {
      const ponged = new Promise<void>((resolve) => server.ws.once("pong", () => resolve()));
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
      await ponged;
    }

    it("keeps a client that answers pings alive past idleTimeoutMs", async () => {
      const h = await start({ conduit: { heartbeatMs: HEARTBEAT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS } });
      const { server } = await connect(h);
      // Twenty periods span well over twice the idle timeout: only the pongs keep it open.
      for (let round = 0; round < 20; round += 1) await answeredPing(server);
      expect(HEARTBEAT_MS * 20).toBeGreaterThan(2 * IDLE_TIMEOUT_MS);
      expect(server.ws.readyState).toBe(server.ws.OPEN);
      expect(server.attached.signal.aborted).toBe(false);
    });

    it("keeps a client that answers pings alive while it floods frames", async () => {
      const h = await start({ conduit: { heartbeatMs: HEARTBEAT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS } });
      const { client, server } = await connect(h);
      let sent = 0;
      client.ws.on("ping", () => {
        for (let i = 0; i < 50; i += 1) {
          sent += 1;
          client.sendJson({ type: "server_response", id: `busy-${sent}`, result: { filler: "x".repeat(1024) } });
        }
      });
      for (let round = 0; round < 20; round += 1) await answeredPing(server);
      expect(sent).toBe(1000);
      expect(server.ws.readyState).toBe(server.ws.OPEN);
      expect(server.attached.signal.aborted).toBe(false);
    });

    it("ends the client once its pongs stop, one idle timeout after the last", async () => {
      const h = await start({ conduit: { heartbeatMs: HEARTBEAT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS } });
      const { client, server } = await connect(h, { autoPong: false });
      let ended = false;
      void server.attached.closed.then(() => (ended = true));
      client.ws.on("ping", (payload: Buffer) => client.ws.pong(payload));
      for (let round = 0; round < 10; round += 1) await answeredPing(server);
      client.ws.removeAllListeners("ping");
      await vi.advanceTimersByTimeAsync(IDLE_TIMEOUT_MS - HEARTBEAT_MS);
      expect(ended).toBe(false);
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS + 1);
      expect((await server.attached.closed).code).toBe(1006);
    });
  });

  it("ends a client that stops reading however many frames it keeps sending", async () => {
    const h = await start({ conduit: { heartbeatMs: 20, idleTimeoutMs: 100 } });
    const { client, server } = await connect(h);
    server.attached.handle.register("resp_deaf");
    let received = 0;
    server.ws.on("message", () => (received += 1));
    // A client that stopped reading: pings pile up unread in its socket, so it never pongs.
    client.ws.pause();
    // Far more frames than the idle timeout lets through: the socket must end before the last.
    const MAX_FRAMES = 1000;
    const allSent = deferred<string>();
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent === MAX_FRAMES) return allSent.resolve("still open after every frame");
      sent += 1;
      // Valid frames (a late answer is not junk): only the missing pongs can end this socket.
      client.sendJson({ type: "server_response", id: `late-${sent}`, result: {} });
    }, 5);
    try {
      expect(await Promise.race([server.attached.closed, allSent.promise])).toMatchObject({ code: 1006 });
    } finally {
      clearInterval(trickle);
    }
    expect(received).toBeGreaterThan(0);
    expect(server.attached.signal.aborted).toBe(true);
    expect(h.registry.has("resp_deaf")).toBe(false);
  });

  it("counts neither the client's own pings nor pongs that answer no ping of ours as life", async () => {
    const h = await start({ conduit: { heartbeatMs: 20, idleTimeoutMs: 100 } });
    const { client, server } = await connect(h, { autoPong: false });
    // Fifty pings span ten idle timeouts: the socket must end before that.
    const manyPings = deferred<string>();
    let pings = 0;
    client.ws.on("ping", () => {
      pings += 1;
      client.ws.pong(Buffer.from(`forged-${pings}`));
      client.ws.pong();
      client.ws.ping();
      if (pings === 50) manyPings.resolve("still open after 50 pings");
    });
    expect(await Promise.race([server.attached.closed, manyPings.promise])).toMatchObject({ code: 1006 });
    expect(pings).toBeGreaterThan(0);
  });
});

describe("cleanup when a socket ends", () => {
  for (const how of ["closes", "is killed"] as const) {
    it(`releases ids, fails pending requests with -32002, closes listeners and aborts when the client ${how}`, async () => {
      const h = await start();
      const { client, server } = await connect(h);
      server.attached.handle.register("resp_a");
      server.attached.handle.register("resp_b");
      const closedSubscriptions: string[] = [];
      for (const id of ["resp_a", "resp_b"]) {
        h.listeners.subscribe(id, OBJECTIVEAI_MCP, {
          onPending: () => {},
          onClose: () => closedSubscriptions.push(id),
        });
      }
      const pending = request(h, "resp_a");
      await client.next();
      const aborted = once(server.attached.signal, "abort");

      if (how === "closes") client.ws.close(1000, "bye");
      else client.terminate();

      await expect(pending).rejects.toMatchObject({ code: ConduitErrorCode.ChannelClosed });
      await aborted;
      const closed = await server.attached.closed;
      expect(closed.code).toBe(how === "closes" ? 1000 : 1006);
      expect(h.registry.has("resp_a") || h.registry.has("resp_b")).toBe(false);
      expect(closedSubscriptions.sort()).toEqual(["resp_a", "resp_b"]);
      expect(h.listeners.subscriberCount()).toBe(0);
      expect(server.attached.handle.register("resp_late")).toBe(false);
      expect(h.registry.has("resp_late")).toBe(false);
      await expect(request(h, "resp_a")).rejects.toMatchObject({ code: ConduitErrorCode.NoReverseChannel });
      expect(h.conduit.size).toBe(0);
    });
  }

  it("leaves an id that moved to another socket alone: no list_changed from the old socket, and its streams survive the old socket's close", async () => {
    const h = await start();
    const first = await connect(h);
    const second = await connect(h);
    first.server.attached.handle.register("resp_moved");
    second.server.attached.handle.register("resp_moved");
    expect(h.registry.get("resp_moved")).toBe(second.server.attached.channel);
    const events: string[] = [];
    const subscription = h.listeners.subscribe("resp_moved", OBJECTIVEAI_MCP, {
      onPending: () => events.push("pending"),
      onClose: () => events.push("closed"),
    });

    await announceToolsChanged(first.client, 1);
    expect(subscription?.take()).toEqual([]);

    first.client.ws.close(1000);
    await first.server.attached.closed;
    expect(events).toEqual([]);
    expect(h.listeners.subscriberCount("resp_moved")).toBe(1);
    expect(h.registry.get("resp_moved")).toBe(second.server.attached.channel);

    await announceToolsChanged(second.client, 2);
    expect(subscription?.take()).toEqual(["tools"]);
  });

  it("leaves a second socket undisturbed when the first misbehaves and is killed", async () => {
    const h = await start({ upgrade: { maxPayload: 4096 } });
    const first = await connect(h);
    const second = await connect(h);
    first.server.attached.handle.register("resp_first");
    second.server.attached.handle.register("resp_second");

    first.client.ws.send("garbage");
    first.client.ws.send(Buffer.alloc(16));
    first.client.ws.send("x".repeat(8192));
    expect((await first.server.attached.closed).code).toBe(1009);

    const answer = request(h, "resp_second");
    const frame = await second.client.next();
    second.client.sendJson({ type: "server_response", id: frame.id, result: { ok: true } });
    expect(await answer).toMatchObject({ result: { ok: true } });
    expect(h.registry.has("resp_second")).toBe(true);
    expect(h.registry.has("resp_first")).toBe(false);
    expect(h.conduit.size).toBe(1);
  });
});

describe("a logger that throws", () => {
  it("never takes a socket down or cuts its cleanup short", async () => {
    const throwing = (): never => {
      throw new Error("log sink down");
    };
    const h = await start({
      conduit: { logger: { debug: throwing, info: throwing, warn: throwing, error: throwing } },
    });
    const { client, server } = await connect(h);
    server.attached.handle.register("resp_log");
    client.ws.send("garbage");
    client.sendJson({ type: "server_response", id: 999, result: {} });
    const answer = request(h, "resp_log");
    const frame = await client.next();
    client.sendJson({ type: "server_response", id: frame.id, result: { ok: true } });
    expect(await answer).toMatchObject({ result: { ok: true } });
    const pending = request(h, "resp_log");
    await client.next();
    client.ws.close(1000);
    await expect(pending).rejects.toMatchObject({ code: ConduitErrorCode.ChannelClosed });
    expect((await server.attached.closed).code).toBe(1000);
    expect(h.registry.has("resp_log")).toBe(false);
    expect(h.conduit.size).toBe(0);
  });
});

describe("AttachedSockets.closeAll", () => {
  it("closes every socket with 1001 and fails their pending requests with -32002", async () => {
    const h = await start();
    const sockets = [await connect(h), await connect(h)];
    const pending = sockets.map(({ server }, i) => {
      server.attached.handle.register(`resp_${i}`);
      // Settled into a value at once: closeAll rejects them before the test looks.
      return request(h, `resp_${i}`).then(
        () => "answered",
        (err: unknown) => err,
      );
    });
    for (const { client } of sockets) await client.next();
    expect(h.conduit.size).toBe(2);

    await h.conduit.closeAll();

    for (const answer of pending) expect(await answer).toMatchObject({ code: ConduitErrorCode.ChannelClosed });
    for (const { client, server } of sockets) {
      expect((await client.closed).code).toBe(1001);
      expect(client.frames.length).toBe(0);
      expect((await server.attached.closed).code).toBe(1001);
    }
    expect(h.conduit.size).toBe(0);
  });

  it("refuses sockets attached after closeAll with error 503 and close 1001", async () => {
    const h = await start();
    await h.conduit.closeAll();
    const client = await TestClient.open(h.url);
    expect(await client.next()).toEqual({ type: "error", error: { code: 503, message: "server shutting down" } });
    expect((await client.closed).code).toBe(1001);
    expect(h.conduit.size).toBe(0);
  });

  it("terminates sockets that do not finish the close handshake within graceMs", async () => {
    const h = await start();
    const { client, server } = await connect(h);
    // A paused client never reads the close frame, so it never answers it.
    client.ws.pause();
    await h.conduit.closeAll(1001, "bye", 50);
    expect((await server.attached.closed).code).toBe(1006);
    expect(h.conduit.size).toBe(0);
  });
});

describe("limits", () => {
  it("throws RegistrationLimitError past maxIdsPerSocket; fail() answers 429 and closes 1008", async () => {
    const h = await start({ conduit: { maxIdsPerSocket: 2 } });
    const { client, server } = await connect(h);
    expect(server.attached.handle.register("resp_1")).toBe(true);
    expect(server.attached.handle.register("resp_2")).toBe(true);
    expect(server.attached.handle.register("resp_1")).toBe(true);
    let caught: unknown;
    try {
      server.attached.handle.register("resp_3");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegistrationLimitError);
    expect(h.registry.has("resp_3")).toBe(false);
    await server.attached.fail({ code: 429, message: (caught as Error).message }, 1008);
    expect(await client.next()).toMatchObject({ type: "error", error: { code: 429 } });
    expect((await client.closed).code).toBe(1008);
  });

  it("fails requests past maxPending with -32005 without touching the socket", async () => {
    const h = await start({ conduit: { maxPending: 1 } });
    const { client, server } = await connect(h);
    server.attached.handle.register("resp_1");
    const first = request(h, "resp_1");
    await expect(request(h, "resp_1")).rejects.toMatchObject({ code: ConduitErrorCode.TooManyPending });
    const frame = await client.next();
    client.sendJson({ type: "server_response", id: frame.id, result: {} });
    await expect(first).resolves.toMatchObject({ result: {} });
    await server.attached.send(chunk("resp_1", 0, "still streaming"));
    expect(await client.next()).toMatchObject({ type: "chunk" });
  });

  it("rejects invalid options", async () => {
    const h = await start();
    const { AttachedSockets } = await import("../src/index.js");
    const base = { registry: h.registry, streams: socketHooksFor(h.listeners), notify: () => {} };
    expect(() => new AttachedSockets({ ...base, highWaterMark: -1 })).toThrow(RangeError);
    expect(() => new AttachedSockets({ ...base, maxPending: 0 })).toThrow(RangeError);
  });

  it("rejects durations a Node timer cannot hold instead of firing them after 1 ms", async () => {
    const h = await start();
    const { AttachedSockets } = await import("../src/index.js");
    const base = { registry: h.registry, streams: socketHooksFor(h.listeners), notify: () => {} };
    const tooLong = 2 ** 31;
    for (const name of ["timeoutMs", "heartbeatMs", "idleTimeoutMs", "bodyTimeoutMs"] as const) {
      expect(() => new AttachedSockets({ ...base, [name]: tooLong })).toThrow(RangeError);
      // idleTimeoutMs 0: a heartbeat that long leaves no idle timeout above it.
      expect(() => new AttachedSockets({ ...base, idleTimeoutMs: 0, [name]: tooLong - 1 })).not.toThrow();
    }
  });

  it("rejects an idle timeout no ping could be answered within, and invalid-frame budgets that are not positive integers", async () => {
    const h = await start();
    const { AttachedSockets } = await import("../src/index.js");
    const base = { registry: h.registry, streams: socketHooksFor(h.listeners), notify: () => {} };
    expect(() => new AttachedSockets({ ...base, heartbeatMs: 0 })).toThrow(/only answered pings count as life/);
    expect(() => new AttachedSockets({ ...base, heartbeatMs: 30_000, idleTimeoutMs: 30_000 })).toThrow(RangeError);
    expect(() => new AttachedSockets({ ...base, heartbeatMs: 0, idleTimeoutMs: 0 })).not.toThrow();
    expect(() => new AttachedSockets({ ...base, heartbeatMs: 100, idleTimeoutMs: 101 })).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new AttachedSockets({ ...base, maxInvalidFrames: bad })).toThrow(RangeError);
      expect(() => new AttachedSockets({ ...base, invalidFrameWindowMs: bad })).toThrow(RangeError);
    }
    expect(() => new AttachedSockets({ ...base, maxInvalidFrames: 1, invalidFrameWindowMs: 1 })).not.toThrow();
  });
});

/** Sends mcp_list_changed (tools of the objectiveai mcp) as request `id` and expects it acknowledged. */
async function announceToolsChanged(client: TestClient, id: number): Promise<void> {
  client.sendJson({
    type: "client_request",
    id,
    method: "mcp_list_changed",
    params: { mcp: OBJECTIVEAI_MCP, list: "tools" },
  });
  expect(await client.next()).toEqual({ type: "client_response", id, ok: true });
}
