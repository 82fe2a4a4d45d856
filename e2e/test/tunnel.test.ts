// The tunnel end to end, in one process: an official MCP SDK Client (the agent) on
// the API host → mcp-route → reverse channel → WebSocket → the attach library →
// a real upstream MCP server, and back. The API is @conduit/host on node:http
// (helpers/test-api.ts); the attach client is @conduit/client's attach(), or its
// built CLI where a process must die.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attach, type AttachSession, type UpstreamSpec } from "@conduit/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseJsonObject, spawnNode, stopAll, waitForLine } from "../conformance/processes.mjs";
import { startSdkHttpUpstream, type SdkHttpUpstream } from "./helpers/sdk-upstream.js";
import { CLI_MAIN, EVERYTHING_MAIN, PROBE, assertBuilt, stdioUpstreams } from "./helpers/stack.js";
import { announcedIds, startTestApi, type TestApi } from "./helpers/test-api.js";

/** The real server-everything, over stdio. */
const everythingSpec: UpstreamSpec = { kind: "stdio", command: process.execPath, args: [EVERYTHING_MAIN, "stdio"] };
/** The relay probe (fixture/relay-probe-server.mjs), over stdio. */
const probeSpec: UpstreamSpec = { kind: "stdio", command: process.execPath, args: [PROBE] };

let api: TestApi;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  api = await startTestApi();
});

afterEach(async () => {
  await stopAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await api.close();
});

/** Attaches and waits for the ids of the stream's `agents` agents (one chunk each). */
async function attachWith(
  mcps: Record<string, UpstreamSpec>,
  agents = 1,
  target: TestApi = api,
): Promise<{ session: AttachSession; ids: string[] }> {
  const body = { agents, client_objectiveai_mcp: { mcps: Object.keys(mcps) } };
  const session = attach({ url: target.wsUrl, body, mcps });
  cleanups.push(() => session.close());
  return { session, ids: await announcedIds(session, agents) };
}

async function agentClient(responseId: string, mcp = "objectiveai", target: TestApi = api): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${target.mcp.url}/${mcp}`), {
    requestInit: { headers: { "X-OBJECTIVEAI-RESPONSE-ID": responseId } },
  });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

function textOf(result: object): string {
  const content = ("content" in result ? result.content : []) as Array<{ type: string; text?: string }>;
  return content
    .filter((part) => part.type === "text")
    .map((part) => part.text)
    .join("");
}

describe("through the tunnel to the real server-everything (stdio)", () => {
  it("initializes with the upstream's own serverInfo and serves tools, resources, prompts and DELETE", async () => {
    const { ids } = await attachWith({ objectiveai: everythingSpec });
    const client = await agentClient(ids[0]!);

    expect(client.getServerVersion()?.name).toMatch(/everything/i);
    expect(client.getServerCapabilities()?.tools).toBeDefined();

    const tools = await client.listTools();
    const names = tools.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "get-sum", "get-tiny-image"]));

    const echo = await client.callTool({ name: "echo", arguments: { message: "through the tunnel" } });
    expect(textOf(echo)).toContain("through the tunnel");

    const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } });
    expect(textOf(sum)).toContain("42");

    const image = await client.callTool({ name: "get-tiny-image", arguments: {} });
    const imagePart = (image.content as Array<{ type: string; mimeType?: string; data?: string }>).find(
      (part) => part.type === "image",
    );
    expect(imagePart?.mimeType).toBe("image/png");
    expect(
      Buffer.from(imagePart?.data ?? "", "base64")
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");

    const failing = await client.callTool({ name: "get-sum", arguments: { a: "not a number" } }).then(
      (result) => ({ isError: result.isError === true, message: textOf(result) }),
      (error: Error) => ({ isError: true, message: error.message }),
    );
    expect(failing.isError).toBe(true);

    const resources = await client.listResources();
    expect(resources.resources.length).toBeGreaterThan(0);
    const first = resources.resources[0]!;
    const read = await client.readResource({ uri: first.uri });
    expect(read.contents[0]?.uri).toBe(first.uri);

    const prompts = await client.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
    const simple = prompts.prompts.find((prompt) => (prompt.arguments ?? []).every((arg) => !arg.required))!;
    const prompt = await client.getPrompt({ name: simple.name, arguments: {} });
    expect(prompt.messages.length).toBeGreaterThan(0);

    const transport = client.transport as StreamableHTTPClientTransport;
    expect(transport.sessionId).toBeTruthy();
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
  });

  it("passes an upstream's own JSON-RPC error through unchanged", async () => {
    const readMissing = (client: Client) =>
      client.readResource({ uri: "demo://nope/does-not-exist" }).then(
        () => undefined,
        (err: { code?: number; message: string }) => ({ code: err.code, message: err.message }),
      );
    const direct = new Client({ name: "direct", version: "1.0.0" });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_MAIN, "stdio"] }));
    cleanups.push(() => direct.close());
    const expected = await readMissing(direct);
    expect(expected?.code).toEqual(expect.any(Number));

    const { ids } = await attachWith({ objectiveai: everythingSpec });
    expect(await readMissing(await agentClient(ids[0]!))).toEqual(expected);
  });
});

describe("routing", () => {
  it("serves an HTTP upstream", async () => {
    const upstream = await startSdkHttpUpstream("http-upstream");
    cleanups.push(() => upstream.close());
    const { ids } = await attachWith({ "acme/files/1.0.0/fs": { kind: "http", url: upstream.url } });
    const client = await agentClient(ids[0]!, "acme/files/1.0.0/fs");
    expect(client.getServerVersion()).toMatchObject({ name: "http-upstream", version: "9.9.9" });
    expect(textOf(await client.callTool({ name: "shout", arguments: { text: "quiet" } }))).toBe("QUIET");
  });

  it("keeps two sockets with different upstreams apart", async () => {
    const upstreams: SdkHttpUpstream[] = [await startSdkHttpUpstream("left"), await startSdkHttpUpstream("right")];
    for (const upstream of upstreams) cleanups.push(() => upstream.close());
    const left = await attachWith({ objectiveai: { kind: "http", url: upstreams[0]!.url } });
    const right = await attachWith({ objectiveai: { kind: "http", url: upstreams[1]!.url } });
    const [leftClient, rightClient] = await Promise.all([agentClient(left.ids[0]!), agentClient(right.ids[0]!)]);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? leftClient : rightClient).callTool({ name: "whoami" })),
    );
    expect(answers.map(textOf)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? "left" : "right")));
  });

  it("serves 8 response ids on one socket", async () => {
    const upstream = await startSdkHttpUpstream("shared");
    cleanups.push(() => upstream.close());
    const { ids } = await attachWith({ objectiveai: { kind: "http", url: upstream.url } }, 8);
    expect(new Set(ids).size).toBe(8);
    expect(api.host.stats().registeredIds).toBe(8);
    expect([...api.sessions[0]!.responseIds]).toEqual(ids);
    const clients = await Promise.all(ids.map((id) => agentClient(id)));
    const results = await Promise.all(
      clients.map((client, i) => client.callTool({ name: "shout", arguments: { text: `agent ${i}` } })),
    );
    expect(results.map(textOf)).toEqual(ids.map((_, i) => `AGENT ${i}`));
  });

  it("delivers an upstream's tools/list_changed to the agent's open GET-SSE stream", async () => {
    const { ids } = await attachWith({ objectiveai: probeSpec });
    const client = await agentClient(ids[0]!);
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    // ids[0] is the host's only registered id, so the host's one SSE subscriber is its GET stream.
    expect(api.host.stats().registeredIds).toBe(1);
    await expect.poll(() => api.host.stats().sseSubscribers).toBe(1);
    await client.callTool({ name: "add-tool", arguments: { name: "grown" } });
    await changed;
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain("grown");
  });

  it("answers 400 without the routing header and 404 for an unknown or released id", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const missing = await fetch(`${api.mcp.url}/objectiveai`, { method: "POST", headers, body });
    expect(missing.status).toBe(400);

    const unknown = await fetch(`${api.mcp.url}/objectiveai`, {
      method: "POST",
      headers: { ...headers, "x-objectiveai-response-id": "resp_unknown" },
      body,
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(-32001);

    const { session, ids } = await attachWith({});
    await session.close();
    await session.closed;
    // The host side releases the socket's ids before its session reports closed.
    await api.sessions[0]!.closed;
    expect(api.sessions[0]!.responseIds.has(ids[0]!)).toBe(false);
    expect(api.host.stats().registeredIds).toBe(0);
    const released = await fetch(`${api.mcp.url}/objectiveai`, {
      method: "POST",
      headers: { ...headers, "x-objectiveai-response-id": ids[0]! },
      body,
    });
    expect(released.status).toBe(404);
  });
});

describe("failures", () => {
  it("answers 504 / -32003 when the upstream does not answer in time", async () => {
    await api.close();
    // Short enough for a test, long enough for initialize against an in-process upstream on a busy machine.
    api = await startTestApi({ timeoutMs: 1_000 });
    const upstream = await startSdkHttpUpstream("slow");
    cleanups.push(() => upstream.close());
    const { ids } = await attachWith({ objectiveai: { kind: "http", url: upstream.url } });
    const client = await agentClient(ids[0]!);
    const error = await client.callTool({ name: "hang" }).then(
      () => undefined,
      (err: Error) => err,
    );
    // The SDK's StreamableHTTPError carries the HTTP status as `code`; the body is the JSON-RPC error.
    expect(error).toMatchObject({ code: 504 });
    expect(error?.message).toMatch(/"code":-32003/);
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(0);
  });

  // With a 10-minute forward timeout, -32002 (not -32003) within the test's own timeout proves the call
  // settled because the socket closed, long before the route would have given up; how fast is a
  // benchmark's business, not a test's.
  it("fails a call in flight with -32002 at once when the attach client process is killed", async () => {
    assertBuilt();
    await api.close();
    api = await startTestApi({ timeoutMs: 600_000 });
    const dir = mkdtempSync(join(tmpdir(), "conduit-e2e-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const bodyFile = join(dir, "body.json");
    writeFileSync(bodyFile, JSON.stringify({ agents: 1, client_objectiveai_mcp: { mcps: ["objectiveai"] } }));
    const cli = spawnNode(
      "conduit attach",
      [CLI_MAIN, "attach", api.wsUrl, "--body", bodyFile, "--mcp", `objectiveai=${stdioUpstreams().probe}`, "--json"],
      { env: { CONDUIT_API_KEY: undefined } },
    );
    const responseId = await waitForLine(
      cli,
      (line) => {
        const chunk = parseJsonObject(line);
        return chunk?.object === "agent.completion.chunk" && typeof chunk.id === "string" ? chunk.id : undefined;
      },
      "the agent's first chunk",
    );
    const client = await agentClient(responseId);
    // The route answers notifications/initialized with 202 before the attach client acks it: wait for
    // that ack, so the one request in flight below is the tool call.
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(0);

    const call = client.callTool({ name: "block", arguments: { key: "killed" } }).then(
      () => undefined,
      (err: Error) => err,
    );
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(1);
    cli.proc.kill("SIGKILL");
    const error = await call;
    expect(error).toMatchObject({ code: 503 });
    expect(error?.message).toMatch(/"code":-32002/);
    expect(api.sessions[0]!.responseIds.has(responseId)).toBe(false);
    expect(api.host.stats()).toMatchObject({ sockets: 0, registeredIds: 0, pendingRequests: 0 });
    expect(api.sessions[0]!.inFlight).toBe(0);
  });

  it("answers notify for an id of another stream with a 404 client_response", async () => {
    const first = await attachWith({});
    const second = await attachWith({});
    await expect(second.session.notify(first.ids[0]!, "not yours")).rejects.toMatchObject({ code: 404 });
    await second.session.notify(second.ids[0]!, "yours");
    expect(api.notified).toEqual([[second.ids[0], "yours"]]);
  });

  it("answers 406, 415 and 413 and refuses a non-loopback Host", async () => {
    // Declared (the route checks that first), never started.
    const { ids } = await attachWith({ objectiveai: { kind: "stdio", command: "false" } });
    const url = `${api.mcp.url}/objectiveai`;
    const base = { "x-objectiveai-response-id": ids[0]!, "content-type": "application/json" };
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const notAcceptable = await fetch(url, { method: "POST", headers: { ...base, accept: "text/html" }, body });
    expect(notAcceptable.status).toBe(406);
    const wrongType = await fetch(url, {
      method: "POST",
      headers: { ...base, accept: "application/json, text/event-stream", "content-type": "text/plain" },
      body,
    });
    expect(wrongType.status).toBe(415);
    const tooLarge = await fetch(url, {
      method: "POST",
      headers: { ...base, accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { pad: "x".repeat(5 * 1024 * 1024) },
      }),
    });
    expect(tooLarge.status).toBe(413);

    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: "POST", headers: { ...base, host: "evil.example:80", accept: "*/*" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(403);
  });
});
