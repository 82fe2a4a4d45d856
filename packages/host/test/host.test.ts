// createConduitHost on a plain node:http server, with the real attach library
// serving a real stdio upstream and a real MCP SDK client as the agent.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { attach, type AttachSession } from "@conduit/client";
import { mintResponseId, type Chunk } from "@conduit/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createConduitHost, type ConduitHost, type ConduitHostOptions, type ConduitSession } from "../src/index.js";

const UPSTREAM = fileURLToPath(new URL("./fixtures/stdio-upstream.mjs", import.meta.url));
const MCP = "objectiveai";

interface Started {
  host: ConduitHost;
  server: Server;
  wsUrl: string;
  sessions: ConduitSession[];
}

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function chunk(id: string, content: string): Chunk {
  return { id, object: "agent.completion.chunk", index: 0, created: 0, delta: { content } };
}

/** A host whose sessions register one agent, announce it in a chunk and wait (the test plays the agent). */
async function startHost(options: Partial<ConduitHostOptions> = {}): Promise<Started> {
  const sessions: ConduitSession[] = [];
  const host = createConduitHost({
    onSession: async (session) => {
      sessions.push(session);
      const body = await session.readBody((json) => {
        const mcps = (json as { client_objectiveai_mcp?: { mcps?: unknown } }).client_objectiveai_mcp?.mcps;
        return Array.isArray(mcps) ? { ok: true, value: mcps as string[] } : { ok: false, message: "no mcps" };
      });
      if (!body.ok) return;
      session.declare(body.value);
      const id = mintResponseId();
      session.register(id);
      await session.send(chunk(id, "ready"));
    },
    ...options,
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end("own route");
  });
  host.attach(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  await host.listenMcp();
  cleanups.push(async () => {
    await host.close({ graceMs: 500 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { host, server, wsUrl: `ws://127.0.0.1:${port}/agent/completions`, sessions };
}

/** Attaches with the client library; resolves with the session and the announced response id. */
async function attachClient(wsUrl: string): Promise<{ session: AttachSession; responseId: string }> {
  const session = attach({
    url: wsUrl,
    body: { client_objectiveai_mcp: { mcps: [MCP] } },
    mcps: { [MCP]: { kind: "stdio", command: process.execPath, args: [UPSTREAM] } },
  });
  cleanups.push(() => session.close());
  const first = await session[Symbol.asyncIterator]().next();
  if (first.done) throw new Error("the stream ended before its first chunk");
  return { session, responseId: first.value.id };
}

async function agentClient(host: ConduitHost, responseId: string): Promise<Client> {
  const client = new Client({ name: "host-test-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${host.mcp!.url}/${MCP}`), {
    requestInit: { headers: { "X-OBJECTIVEAI-RESPONSE-ID": responseId } },
  });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

/** The HTTP status an upgrade request is refused with. */
function upgradeStatus(url: string, protocol?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol);
    ws.on("error", () => undefined);
    ws.once("unexpected-response", (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once("open", () => {
      reject(new Error("the upgrade was accepted"));
      ws.terminate();
    });
  });
}

describe("createConduitHost", () => {
  it("routes an agent's tool call through the attached client's stdio upstream", async () => {
    const { host, wsUrl } = await startHost();
    const { responseId } = await attachClient(wsUrl);
    const client = await agentClient(host, responseId);
    const result = await client.callTool({ name: "echo", arguments: { message: "through the host" } });
    expect(result.content).toEqual([{ type: "text", text: "Echo: through the host" }]);
  });

  it("lists sockets, shortened agent ids, declared mcps and traffic counts in snapshot()", async () => {
    const { host, wsUrl } = await startHost();
    const { responseId } = await attachClient(wsUrl);
    const client = await agentClient(host, responseId);
    await client.callTool({ name: "echo", arguments: { message: "count me" } });

    const snapshot = host.snapshot();
    expect(snapshot.mcpUrl).toBe(host.mcp!.url);
    expect(snapshot.sockets).toHaveLength(1);
    const [socket] = snapshot.sockets;
    expect(socket).toMatchObject({
      id: "sock_1",
      remoteAddress: "127.0.0.1",
      subprotocol: "conduit.v2",
      declaredMcps: [MCP],
      inFlight: 0,
    });
    expect(socket!.agents).toEqual([`${responseId.slice(0, 12)}…`]);
    expect(JSON.stringify(snapshot)).not.toContain(responseId);
    expect(snapshot.totals).toMatchObject({ sockets: 1, agents: 1, inFlight: 0 });
    expect(snapshot.traffic.counts).toContainEqual({ mcp: MCP, method: "tools/call", outcome: "ok", count: 1 });
    expect(snapshot.traffic.counts).toContainEqual({ mcp: MCP, method: "initialize", outcome: "ok", count: 1 });
  });

  it("counts a request in flight while the upstream has not answered", async () => {
    const { host, wsUrl } = await startHost();
    const { responseId } = await attachClient(wsUrl);
    const client = await agentClient(host, responseId);
    const hanging = client.callTool({ name: "hang", arguments: {} }).catch((err: unknown) => err);
    await expect.poll(() => host.snapshot().totals.inFlight).toBe(1);
    expect(host.stats().pendingRequests).toBe(1);
    await client.close();
    await hanging;
  });

  it("applies its one timeoutMs to requests forwarded by the MCP listener (-32003)", async () => {
    const { host, wsUrl } = await startHost({ timeoutMs: 300 });
    const { responseId } = await attachClient(wsUrl);
    // Whichever request outlives 300 ms of silence first (initialize while the upstream spawns, or
    // the hanging call) fails with the conduit's -32003 and the host's value in its message.
    const err = await agentClient(host, responseId)
      .then((client) => client.callTool({ name: "hang", arguments: {} }))
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(err?.message).toContain('"code":-32003');
    expect(err?.message).toContain("no answer within 300 ms");
    expect(host.snapshot().traffic.counts).toContainEqual(expect.objectContaining({ mcp: MCP, outcome: "timeout" }));
  });

  it("reports every forwarded request to onMcpTraffic", async () => {
    const events: string[] = [];
    const { host, wsUrl } = await startHost({
      onMcpTraffic: (event) => events.push(`${event.method}:${event.outcome}`),
    });
    const { responseId } = await attachClient(wsUrl);
    const client = await agentClient(host, responseId);
    await client.callTool({ name: "echo", arguments: { message: "x" } });
    expect(events).toContain("tools/call:ok");
  });

  it("leaves other paths to the server's other upgrade listeners, and answers 404 when there are none", async () => {
    const { server, wsUrl } = await startHost();
    const other = wsUrl.replace("/agent/completions", "/elsewhere");
    expect(await upgradeStatus(other, "conduit.v2")).toBe(404);

    const seen: string[] = [];
    server.on("upgrade", (req, socket) => {
      if (req.url === "/elsewhere") {
        seen.push(req.url);
        socket.end("HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      }
    });
    expect(await upgradeStatus(other)).toBe(418);
    expect(seen).toEqual(["/elsewhere"]);
  });

  it("refuses an upgrade that authenticate rejects, with its status", async () => {
    const { wsUrl } = await startHost({
      authenticate: (req) => req.headers.authorization === "Bearer k" || { status: 401, body: { error: "no key" } },
    });
    expect(await upgradeStatus(wsUrl, "conduit.v2")).toBe(401);
  });

  it("close() ends open sockets with 1001 and refuses later upgrades with 503", async () => {
    const { host, wsUrl } = await startHost();
    const { session } = await attachClient(wsUrl);
    await host.close({ graceMs: 1000 });
    const outcome = await session.closed;
    expect(outcome).toMatchObject({ code: 1001 });
    expect(await upgradeStatus(wsUrl, "conduit.v2")).toBe(503);
    expect(host.snapshot().sockets).toEqual([]);
  });

  it("fails a socket whose session handler throws with 1011", async () => {
    const { wsUrl } = await startHost({
      onSession: () => {
        throw new Error("embedder bug");
      },
    });
    const ws = new WebSocket(wsUrl, "conduit.v2");
    const [code] = (await once(ws, "close")) as [number];
    expect(code).toBe(1011);
  });

  it("throws RangeError for a bad timeoutMs", () => {
    expect(() => createConduitHost({ onSession: () => undefined, timeoutMs: 0 })).toThrow(RangeError);
  });
});
