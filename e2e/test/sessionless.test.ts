// Sessionless (MCP 2026-07-28) requests through the route and the attach
// library to a raw stdio upstream: one shared connection per mcp and argument
// set, counted against maxUpstreams; the relay's attribution rule on a
// connection several agents share; subscriptions/listen outliving the call
// timeout, stamped with the agent's own id, and torn down by the upstream.
import { fileURLToPath } from "node:url";
import { attach, type AttachOptions, type AttachSession, type UpstreamSpec } from "@conduit/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { announcedIds, startTestApi, type TestApi } from "./helpers/test-api.js";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const FIXTURE = fileURLToPath(new URL("../fixture/sessionless-server.mjs", import.meta.url));
const SPEC: UpstreamSpec = { kind: "stdio", command: process.execPath, args: [FIXTURE] };
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "agent", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

let api: TestApi;
const sessions: AttachSession[] = [];

beforeEach(async () => {
  api = await startTestApi();
});

afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close().catch(() => undefined);
  await api.close();
});

async function attachAgents(agents: number, options: Partial<AttachOptions> = {}): Promise<string[]> {
  const session = attach({
    url: api.wsUrl,
    body: { agents, client_objectiveai_mcp: { mcps: ["objectiveai"] } },
    mcps: { objectiveai: SPEC },
    ...options,
  });
  sessions.push(session);
  return announcedIds(session, agents);
}

let nextId = 1;

/** POSTs one JSON-RPC request as a 2026-07-28 client would (no session, revision in header and _meta). */
function request(
  responseId: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = { "mcp-protocol-version": "2026-07-28" },
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${api.mcp.url}/objectiveai`, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "x-objectiveai-response-id": responseId,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: ENVELOPE } }),
    ...(signal === undefined ? {} : { signal }),
  });
}

function tool(responseId: string, name: string, args: Record<string, unknown> = {}): Promise<Response> {
  return request(responseId, "tools/call", { name, arguments: args });
}

async function toolText(response: Response): Promise<unknown> {
  const body = (await response.json()) as { result: { content: Array<{ text: string }> } };
  return JSON.parse(body.result.content[0]?.text ?? "null") as unknown;
}

/** The JSON-RPC messages of an SSE body. */
function sseMessages(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n\n")
    .map((event) => event.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, unknown>);
}

/** An SSE body read incrementally: `until(count)` resolves with every message so far once there are `count` (or it ended). */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = "";
  ended = false;

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  async until(count: number): Promise<Array<Record<string, unknown>>> {
    while (!this.ended && sseMessages(this.#text).length < count) {
      const chunk = await this.#reader.read();
      if (chunk.done) this.ended = true;
      else this.#text += this.#decoder.decode(chunk.value, { stream: true });
    }
    return sseMessages(this.#text);
  }
}

describe("the shared sessionless connection", () => {
  it("serves every agent's sessionless requests from one process per argument set; no revision → 404", async () => {
    const [a, b] = await attachAgents(2);
    const pidA = ((await toolText(await tool(a!, "argv"))) as { pid: number }).pid;
    const pidB = ((await toolText(await tool(b!, "argv"))) as { pid: number }).pid;
    expect(pidB).toBe(pidA);

    const withArgs = await request(
      a!,
      "tools/call",
      { name: "argv", arguments: {} },
      { "mcp-protocol-version": "2026-07-28", "x-objectiveai-arguments": JSON.stringify({ root: "/tmp" }) },
    );
    const other = (await toolText(withArgs)) as { pid: number; argv: string[] };
    expect(other.pid).not.toBe(pidA);
    expect(other.argv).toEqual(["--root", "/tmp"]);

    // The revision in _meta alone is enough; neither header nor _meta → the 2025 "unknown session".
    expect((await request(a!, "server/discover", {}, {})).status).toBe(200);
    const stray = await fetch(`${api.mcp.url}/objectiveai`, {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        "x-objectiveai-response-id": a!,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stray.status).toBe(404);
  });

  it("counts against maxUpstreams", async () => {
    const [a] = await attachAgents(1, { maxUpstreams: 1 });
    expect((await tool(a!, "argv")).status).toBe(200);
    const refused = await request(
      a!,
      "tools/call",
      { name: "argv", arguments: {} },
      { "mcp-protocol-version": "2026-07-28", "x-objectiveai-arguments": JSON.stringify({ other: "args" }) },
    );
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: -32005 } });
  });
});

describe("attribution on a shared connection", () => {
  it("an unmarked message goes to the call in flight only when it is the only one, never to another agent", async () => {
    const [a, b] = await attachAgents(2);
    // Alone in flight: A's log streams on A's answer.
    const alone = await tool(a!, "log", { text: "for A" });
    expect(alone.headers.get("content-type")).toBe("text/event-stream");
    const messages = sseMessages(await alone.text());
    expect(messages[0]).toMatchObject({ method: "notifications/message", params: { data: "for A" } });
    expect(messages[1]).toMatchObject({ result: { content: [{ text: '"logged"' }] } });

    // B's call in flight too: the log cannot be told apart, so it reaches nobody — not B.
    const parked = tool(b!, "park", { key: "b" });
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(1);
    const crowded = await tool(a!, "log", { text: "ambiguous" });
    expect(crowded.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await toolText(crowded)).toBe("logged");
    expect(await toolText(await tool(a!, "release", { key: "b" }))).toBe("released");
    const parkedAnswer = await parked;
    expect(parkedAnswer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await toolText(parkedAnswer)).toBe("released b");
  });
});

describe("subscriptions/listen on the shared connection", () => {
  it("outlives the call timeout, carries its stamped notifications with the agent's id, and ends on the upstream's teardown", async () => {
    const [a, b] = await attachAgents(2, { upstreamTimeoutMs: 300 });
    const listen = await request(a!, "subscriptions/listen", { notifications: { toolsListChanged: true } });
    const listenId = nextId - 1;
    expect(listen.headers.get("content-type")).toBe("text/event-stream");
    const stream = new SseReader(listen);
    const [ack] = await stream.until(1);
    expect(ack).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { [SUBSCRIPTION_ID]: listenId } },
    });

    // A call that never ends fails after upstreamTimeoutMs; the listen, older than it, is still open.
    const timedOut = await tool(b!, "park", { key: "forever" });
    expect(await timedOut.json()).toMatchObject({ error: { code: -32004 } });

    expect(await toolText(await tool(b!, "touch"))).toBe("touched");
    expect((await stream.until(2))[1]).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: listenId } },
    });

    // The upstream tears the subscription down: the agent sees it under its own id, and no response follows.
    expect(await toolText(await tool(b!, "teardown"))).toBe("torn down");
    const all = await stream.until(4);
    expect(stream.ended).toBe(true);
    expect(all.slice(2)).toEqual([
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: listenId } },
    ]);
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(0);
  });

  it("closing the listen stream cancels the subscription upstream with the upstream's own id", async () => {
    const [a] = await attachAgents(1);
    const controller = new AbortController();
    const listen = await request(
      a!,
      "subscriptions/listen",
      { notifications: { toolsListChanged: true } },
      { "mcp-protocol-version": "2026-07-28" },
      controller.signal,
    );
    const [ack] = await new SseReader(listen).until(1);
    expect(ack).toMatchObject({ method: "notifications/subscriptions/acknowledged" });
    controller.abort();
    await expect.poll(() => api.sessions[0]!.inFlight).toBe(0);
    // The upstream saw notifications/cancelled for the id it knows the listen by (a number of the attach client's).
    await expect
      .poll(async () => (await toolText(await tool(a!, "cancels"))) as unknown[])
      .toEqual([expect.any(Number)]);
  });
});
