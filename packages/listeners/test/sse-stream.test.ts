import http from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { OBJECTIVEAI_MCP, parseMcpKind } from "@conduit/protocol";
import type { McpKind } from "@conduit/protocol";
import { SseStreamRegistry, formatListChangedEvent, openSseStream } from "../src/index.js";
import type { SseStream, SseStreamOptions } from "../src/index.js";
import { RESPONSE_ID_HEADER, SseClient, SseTestServer, listsIn, type Served, type WriteLog } from "./helpers.js";

function kind(text: string): McpKind {
  const parsed = parseMcpKind(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.kind;
}

const FS = kind("acme/files/1.0.0/fs");
const TOOLS_EVENT = 'data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n';
const RESOURCES_EVENT = 'data: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}\n\n';
const PROMPTS_EVENT = 'data: {"jsonrpc":"2.0","method":"notifications/prompts/list_changed"}\n\n';

const servers: SseTestServer[] = [];
const clients: SseClient[] = [];
const hostServers: Server[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const server of hostServers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function setup(registry: SseStreamRegistry, options?: SseStreamOptions): Promise<SseTestServer> {
  const server = await SseTestServer.start(registry, options);
  servers.push(server);
  return server;
}

async function connect(server: SseTestServer, responseId: string, path = "/objectiveai"): Promise<SseClient> {
  const client = await SseClient.open(server.port, path, { [RESPONSE_ID_HEADER]: responseId });
  clients.push(client);
  return client;
}

const SENTINEL_ID = "id-sentinel";

/** A stream on its own response id whose flush marks when every flush scheduled before it has run. */
async function openSentinel(server: SseTestServer): Promise<Extract<Served, { refused: false }>> {
  await connect(server, SENTINEL_ID);
  return server.nextStream();
}

/**
 * Resolves once every flush scheduled so far has run: flushes run in the order they were
 * scheduled, and the sentinel's is scheduled last. The positive event that precedes a
 * "nothing was written" check.
 */
async function scheduledFlushesRan(registry: SseStreamRegistry, sentinel: { writes: WriteLog }): Promise<void> {
  const written = sentinel.writes.next();
  expect(registry.publish(SENTINEL_ID, OBJECTIVEAI_MCP, "tools")).toBe(1);
  await written;
}

describe("formatListChangedEvent", () => {
  it("spells the exact §5 envelope", () => {
    expect(formatListChangedEvent("tools")).toBe(TOOLS_EVENT);
    expect(formatListChangedEvent("resources")).toBe(RESOURCES_EVENT);
    expect(formatListChangedEvent("prompts")).toBe(PROMPTS_EVENT);
  });
});

describe("openSseStream over node:http", () => {
  it("answers 200 with the SSE headers and subscribes", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry);
    const client = await connect(server, "id-1");
    const served = await server.nextStream();

    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers["content-type"]).toBe("text/event-stream");
    expect(client.response.headers["cache-control"]).toBe("no-cache, no-transform");
    expect(client.response.headers["connection"]).toBe("keep-alive");
    expect(client.response.headers["x-accel-buffering"]).toBe("no");
    expect(served.stream.subscription.responseId).toBe("id-1");
    expect(served.stream.subscription.mcp).toBe(OBJECTIVEAI_MCP);
    expect(registry.subscriberCount("id-1", OBJECTIVEAI_MCP)).toBe(1);
  });

  it("streams signals in order with the exact envelope, only for its own mcp", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry);
    const client = await connect(server, "id-1", "/acme/files/1.0.0/fs");
    await server.nextStream();

    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "tools")).toBe(0);
    expect(registry.publish("id-2", FS, "tools")).toBe(0);
    expect(registry.publish("id-1", FS, "prompts")).toBe(1);
    await client.waitFor((c) => c.text === PROMPTS_EVENT);
    registry.publish("id-1", FS, "tools");
    await client.waitFor((c) => c.text === PROMPTS_EVENT + TOOLS_EVENT);
    // One burst: coalesced into one write, kinds in LIST_KINDS order.
    registry.publish("id-1", FS, "prompts");
    registry.publish("id-1", FS, "resources");
    registry.publish("id-1", FS, "prompts");
    await client.waitFor(
      (c) => c.text.length >= (PROMPTS_EVENT + TOOLS_EVENT + RESOURCES_EVENT + PROMPTS_EVENT).length,
    );

    expect(client.text).toBe(PROMPTS_EVENT + TOOLS_EVENT + RESOURCES_EVENT + PROMPTS_EVENT);
    expect(client.messages).toEqual([
      { jsonrpc: "2.0", method: "notifications/prompts/list_changed" },
      { jsonrpc: "2.0", method: "notifications/tools/list_changed" },
      { jsonrpc: "2.0", method: "notifications/resources/list_changed" },
      { jsonrpc: "2.0", method: "notifications/prompts/list_changed" },
    ]);
  });

  it("writes a keepalive comment every keepaliveMs", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry, { keepaliveMs: 20 });
    const client = await connect(server, "id-1");
    await server.nextStream();

    await client.waitFor((c) => c.text.split(": keepalive\n\n").length - 1 >= 3);
    registry.publish("id-1", OBJECTIVEAI_MCP, "resources");
    await client.waitFor((c) => c.text.includes(RESOURCES_EVENT));
    expect(client.text.replaceAll(": keepalive\n\n", "")).toBe(RESOURCES_EVENT);
  });

  it("removes the subscription when the client disconnects", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry, { keepaliveMs: 20 });
    const client = await connect(server, "id-1");
    const served = await server.nextStream();
    const sentinel = await openSentinel(server);
    expect(registry.subscriberCount("id-1")).toBe(1);

    client.destroy();
    await served.stream.closed;

    expect(served.stream.subscription.closed).toBe(true);
    expect(registry.subscriberCount("id-1")).toBe(0);
    expect(registry.keyCount).toBe(1);
    const calls = served.writes.calls;
    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "tools")).toBe(0);
    await scheduledFlushesRan(registry, sentinel);
    expect(served.writes.calls).toBe(calls);
  });

  it("fans one signal out to two streams on the same key", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry);
    const first = await connect(server, "id-1");
    const firstServed = await server.nextStream();
    const second = await connect(server, "id-1");
    await server.nextStream();
    expect(registry.subscriberCount("id-1", OBJECTIVEAI_MCP)).toBe(2);
    expect(registry.keyCount).toBe(1);

    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "tools")).toBe(2);
    await Promise.all([first.waitFor((c) => c.text === TOOLS_EVENT), second.waitFor((c) => c.text === TOOLS_EVENT)]);

    first.destroy();
    await firstServed.stream.closed;
    expect(registry.subscriberCount("id-1", OBJECTIVEAI_MCP)).toBe(1);
    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "prompts")).toBe(1);
    await second.waitFor((c) => c.text === TOOLS_EVENT + PROMPTS_EVENT);
  });

  it("ends the HTTP response when the registry closes the id", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry);
    const client = await connect(server, "id-1");
    const served = await server.nextStream();
    const sentinel = await openSentinel(server);
    registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
    await client.waitFor((c) => c.text === TOOLS_EVENT);

    expect(registry.closeAll("id-1")).toBe(1);
    await Promise.all([client.ended, served.stream.closed]);

    expect(client.response.complete).toBe(true);
    expect(client.text).toBe(TOOLS_EVENT);
    expect(served.res.writableEnded).toBe(true);
    expect(registry.subscriberCount("id-1")).toBe(0);
    expect(registry.keyCount).toBe(1);
    const calls = served.writes.calls;
    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "prompts")).toBe(0);
    served.stream.close();
    await scheduledFlushesRan(registry, sentinel);
    expect(served.writes.calls).toBe(calls);
  });

  it("close() ends the response and unsubscribes", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry, { keepaliveMs: 20 });
    const client = await connect(server, "id-1");
    const served = await server.nextStream();

    served.stream.close();
    served.stream.close();
    await Promise.all([client.ended, served.stream.closed]);
    expect(client.response.complete).toBe(true);
    expect(served.stream.subscription.closed).toBe(true);
    expect(registry.keyCount).toBe(0);
  });

  it("returns null without writing when the registry refuses, so the caller can answer 429", async () => {
    const registry = new SseStreamRegistry({ maxSubscribersPerId: 1 });
    const server = await setup(registry);
    await connect(server, "id-1");
    await server.nextStream();

    const refusedClient = await connect(server, "id-1", "/acme/files/1.0.0/fs");
    const refused = await server.nextServed();
    expect(refused).toEqual({ refused: true, headersSentByOpen: false });
    expect(refusedClient.response.statusCode).toBe(429);
    await refusedClient.ended;
    expect(refusedClient.text).toBe("too many SSE subscribers");
    expect(registry.subscriberCount("id-1")).toBe(1);

    await connect(server, "id-2");
    expect((await server.nextServed()).refused).toBe(false);
  });

  it("keeps a stalled reader's state bounded and still delivers the latest signal when it resumes", async () => {
    const registry = new SseStreamRegistry();
    const server = await setup(registry);
    const client = await connect(server, "id-1");
    const served = await server.nextStream();
    const sentinel = await openSentinel(server);
    client.response.pause();

    // Fill the socket until res.write reports backpressure. Each round waits for its own write only (a
    // microtask), never for I/O: the reader reads nothing from here until it resumes, so once blocked the
    // stream cannot see a 'drain' and the checks below hold on every run.
    let rounds = 0;
    while (!served.writes.blocked) {
      const written = served.writes.next();
      registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
      registry.publish("id-1", OBJECTIVEAI_MCP, "resources");
      registry.publish("id-1", OBJECTIVEAI_MCP, "prompts");
      await written;
      rounds += 1;
      if (rounds > 1_000_000) throw new Error("the socket never pushed back");
    }
    const callsAtBlock = served.writes.calls;
    const bytesAtBlock = served.writes.bytes;
    const drainsAtBlock = served.writes.drains;
    const bufferedAtBlock = served.res.writableLength;

    for (let i = 0; i < 100_000; i += 1) {
      registry.publish("id-1", OBJECTIVEAI_MCP, "tools");
      if (i % 10_000 === 0) await scheduledFlushesRan(registry, sentinel);
    }
    registry.publish("id-1", OBJECTIVEAI_MCP, "prompts");
    await scheduledFlushesRan(registry, sentinel);

    // Nothing written while blocked: the 100k signals live as bits in the subscription.
    expect(served.writes.drains).toBe(drainsAtBlock);
    expect(served.writes.calls).toBe(callsAtBlock);
    expect(served.res.writableLength).toBe(bufferedAtBlock);

    client.response.resume();
    await client.waitFor(
      (c) => !served.writes.blocked && c.bytes === served.writes.bytes && c.text.endsWith(PROMPTS_EVENT),
    );

    // One coalesced write after the drain: each pending list once, in LIST_KINDS order.
    expect(served.writes.calls).toBe(callsAtBlock + 1);
    expect(listsIn(client.text.slice(bytesAtBlock))).toEqual(["tools", "prompts"]);
    expect(listsIn(client.text.slice(0, bytesAtBlock))).toHaveLength(3 * rounds);
    expect(registry.subscriberCount("id-1")).toBe(1);
  });
});

describe("openSseStream on a request whose body the host server already read", () => {
  it("keeps streaming after the request's own 'close' (body consumed) and still cleans up when the client leaves", async () => {
    const registry = new SseStreamRegistry();
    let resolveOpened: (value: { stream: SseStream; requestClosed: Promise<unknown> }) => void = () => {};
    const opened = new Promise<{ stream: SseStream; requestClosed: Promise<unknown> }>((resolve) => {
      resolveOpened = resolve;
    });
    // A host server that reads every request body before routing, as many frameworks do.
    const server = http.createServer((req, res) => {
      req.resume();
      req.once("end", () => {
        // Node emits the request's 'close' right after 'end' once the body is consumed: the client is still there.
        const requestClosed = once(req, "close");
        const stream = openSseStream(req, res, registry, "id-1", OBJECTIVEAI_MCP, { keepaliveMs: 0 });
        if (stream === null) throw new Error("refused");
        resolveOpened({ stream, requestClosed });
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    hostServers.push(server);

    const client = await SseClient.open((server.address() as AddressInfo).port, "/objectiveai", {
      [RESPONSE_ID_HEADER]: "id-1",
    });
    clients.push(client);
    const { stream, requestClosed } = await opened;
    await requestClosed;

    expect(stream.subscription.closed).toBe(false);
    expect(registry.publish("id-1", OBJECTIVEAI_MCP, "tools")).toBe(1);
    await client.waitFor((c) => c.text === TOOLS_EVENT);

    client.destroy();
    await stream.closed;
    expect(registry.keyCount).toBe(0);
  });
});

describe("openSseStream option checks", () => {
  it("refuses a keepaliveMs a timer cannot hold (Node would fire it every 1 ms) before subscribing", async () => {
    const registry = new SseStreamRegistry();
    let resolveOutcome: (value: unknown) => void = () => {};
    const outcome = new Promise<unknown>((resolve) => {
      resolveOutcome = resolve;
    });
    const server = http.createServer((req, res) => {
      try {
        openSseStream(req, res, registry, "id-1", OBJECTIVEAI_MCP, { keepaliveMs: 2 ** 31 });
        resolveOutcome("opened");
      } catch (error) {
        resolveOutcome(error);
        res.writeHead(500).end();
      }
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    hostServers.push(server);

    const client = await SseClient.open((server.address() as AddressInfo).port, "/objectiveai", {});
    clients.push(client);
    expect(await outcome).toBeInstanceOf(RangeError);
    expect(client.response.statusCode).toBe(500);
    expect(registry.subscriberCount()).toBe(0);
  });
});
