import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConduitErrorCode, JsonRpcErrorCode } from "@conduit/protocol";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterEach, expect, test, vi } from "vitest";
import { z } from "zod";
import { AGENT_INITIALIZE } from "./helpers/fake-api.js";
import { FIXTURE_SERVER, childPids, fixtureSpec } from "./helpers/processes.js";
import { startHarness, stopAll } from "./helpers/session.js";

const MCP = "acme/remote/2.0.0/echo";

interface HttpUpstream {
  url: string;
  requests: { method: string; headers: IncomingHttpHeaders }[];
  closedSessions: string[];
  server: Server;
}

let upstream: HttpUpstream | undefined;

afterEach(async () => {
  await stopAll();
  if (upstream) {
    upstream.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
    upstream = undefined;
  }
});

/** Requests the server reads but never answers (a stalled upstream), by HTTP method and JSON-RPC method. */
type Stall = (httpMethod: string, rpcMethod: string | undefined) => boolean;

/** An SDK McpServer over StreamableHTTPServerTransport (stateful) on node:http 127.0.0.1:0. */
async function startHttpUpstream(stall: Stall = () => false): Promise<HttpUpstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const state: Omit<HttpUpstream, "url" | "server"> = { requests: [], closedSessions: [] };
  const server = createServer(async (req, res) => {
    state.requests.push({ method: req.method ?? "", headers: req.headers });
    let parsedBody: unknown;
    if (req.method === "POST") {
      const parts: Buffer[] = [];
      for await (const part of req) parts.push(part as Buffer);
      parsedBody = JSON.parse(Buffer.concat(parts).toString("utf8"));
    }
    const rpcMethod = (parsedBody as { method?: string } | undefined)?.method;
    if (stall(req.method ?? "", rpcMethod)) return;
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (req.method !== "POST" || sessionId !== undefined) {
        res.writeHead(404).end();
        return;
      }
      const fresh = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => void transports.set(id, fresh),
        onsessionclosed: (id) => {
          transports.delete(id);
          state.closedSessions.push(id);
        },
      });
      transport = fresh;
      const mcp = new McpServer({ name: "remote-echo", version: "9.9.9" });
      mcp.registerTool("shout", { inputSchema: { text: z.string() } }, ({ text }) => ({
        content: [{ type: "text", text: text.toUpperCase() }],
      }));
      void mcp.connect(fresh).then(() => fresh.handleRequest(req, res, parsedBody));
      return;
    }
    void transport.handleRequest(req, res, parsedBody);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  upstream = { ...state, url: `http://127.0.0.1:${port}/mcp`, server };
  return upstream;
}

test("an HTTP upstream: initialize verbatim, arguments and headers sent, calls forwarded, terminate sends DELETE", async () => {
  const remote = await startHttpUpstream();
  const { conn } = await startHarness({
    mcps: { [MCP]: { kind: "http", url: remote.url, headers: { authorization: "Bearer upstream-token" } } },
  });
  const { sessionId, result } = await conn.initialize(MCP, { region: "eu", dry: null });
  expect(result.serverInfo).toEqual({ name: "remote-echo", version: "9.9.9" });

  const initializePost = remote.requests[0];
  expect(initializePost?.headers.authorization).toBe("Bearer upstream-token");
  expect(JSON.parse(String(initializePost?.headers["x-objectiveai-arguments"]))).toEqual({ region: "eu", dry: null });

  const shout = await conn.call(MCP, sessionId, "tools/call", { name: "shout", arguments: { text: "quiet" } });
  expect(shout.result).toEqual({ content: [{ type: "text", text: "QUIET" }] });
  const lastPost = remote.requests.filter((request) => request.method === "POST").at(-1);
  expect(lastPost?.headers["mcp-protocol-version"]).toBe(AGENT_INITIALIZE.protocolVersion);

  const missing = await conn.call(MCP, sessionId, "prompts/get", { name: "nope" });
  // This server has no prompts: its own -32601 comes back unchanged.
  expect(missing.error).toEqual({ code: JsonRpcErrorCode.MethodNotFound, message: "Method not found" });

  const upstreamSession = lastPost?.headers["mcp-session-id"];
  expect(await conn.call(MCP, sessionId, "session/terminate")).toEqual({ result: {} });
  expect(remote.requests.some((request) => request.method === "DELETE")).toBe(true);
  await vi.waitFor(() => expect(remote.closedSessions).toEqual([upstreamSession]));
  expect((await conn.call(MCP, sessionId, "tools/list", {})).error?.code).toBe(ConduitErrorCode.NoReverseChannel);
});

test("an unreachable HTTP upstream answers initialize with -32004 naming the network cause", async () => {
  const remote = await startHttpUpstream();
  const deadUrl = remote.url;
  remote.server.closeAllConnections();
  await new Promise((resolve) => remote.server.close(resolve));
  upstream = undefined;
  const { conn } = await startHarness({ mcps: { [MCP]: { kind: "http", url: deadUrl } } });
  const answer = await conn.request(MCP, "initialize", { arguments: {}, initialize: AGENT_INITIALIZE });
  expect(answer.error?.code).toBe(ConduitErrorCode.UpstreamFailed);
  expect(answer.error?.message).toMatch(/sending initialize failed/);
  expect(answer.error?.message).toContain(`connect ECONNREFUSED 127.0.0.1:${new URL(deadUrl).port}`);
});

test("a notification or DELETE the HTTP upstream never answers is given up after upstreamTimeoutMs", async () => {
  const remote = await startHttpUpstream(
    (httpMethod, rpcMethod) => httpMethod === "DELETE" || rpcMethod === "notifications/roots/list_changed",
  );
  const { conn } = await startHarness({ mcps: { [MCP]: { kind: "http", url: remote.url } }, upstreamTimeoutMs: 1_000 });
  const { sessionId } = await conn.initialize(MCP);

  const notified = await conn.call(MCP, sessionId, "notifications/roots/list_changed");
  expect(notified.error).toEqual({
    code: ConduitErrorCode.UpstreamFailed,
    message: `upstream ${MCP} did not accept notifications/roots/list_changed within 1000 ms`,
  });
  // The connection survives, as after a request that timed out.
  const shout = await conn.call(MCP, sessionId, "tools/call", { name: "shout", arguments: { text: "still" } });
  expect(shout.result).toEqual({ content: [{ type: "text", text: "STILL" }] });

  // Terminate is best effort: the DELETE is given up, the connection closed, the session gone.
  expect(await conn.call(MCP, sessionId, "session/terminate")).toEqual({ result: {} });
  expect(remote.requests.some((request) => request.method === "DELETE")).toBe(true);
  expect((await conn.call(MCP, sessionId, "tools/list", {})).error?.code).toBe(ConduitErrorCode.NoReverseChannel);
});

test("an HTTP session counts against maxUpstreams like a stdio process; terminate frees its slot", async () => {
  const remote = await startHttpUpstream();
  const STDIO = "acme/tools/1.0.0/fixture";
  const { conn } = await startHarness({
    mcps: { [MCP]: { kind: "http", url: remote.url }, [STDIO]: fixtureSpec },
    maxUpstreams: 1,
  });
  const { sessionId } = await conn.initialize(MCP);
  const refused = await conn.request(STDIO, "initialize", { arguments: {}, initialize: AGENT_INITIALIZE });
  expect(refused.error?.code).toBe(ConduitErrorCode.TooManyPending);
  expect(childPids(FIXTURE_SERVER)).toEqual([]);

  expect(await conn.call(MCP, sessionId, "session/terminate")).toEqual({ result: {} });
  await conn.initialize(STDIO);
  expect(childPids(FIXTURE_SERVER)).toHaveLength(1);
});
