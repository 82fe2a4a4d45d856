// MCP 2026-07-28 (sessionless) through the whole tunnel, side by side with a
// 2025-11-25 session on the same mcp and socket: a v2 SDK client
// (@modelcontextprotocol/client, modern era) → the built API's loopback MCP
// route → WebSocket (conduit.v2) → the built `conduit attach` CLI → a v2 SDK
// stdio server (fixture/mcp2026-server.mjs), and a second run with that server
// as a Streamable HTTP upstream.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
  type CallToolResult,
} from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isAlive,
  parseJsonObject,
  spawnNode,
  stop,
  waitForLine,
  within,
  type Child,
} from "../conformance/processes.mjs";
import { shellQuote, spawnAttach, startApiProcess } from "../conformance/tunnel.mjs";

const FIXTURE = fileURLToPath(new URL("../fixture/mcp2026-server.mjs", import.meta.url));
/** Bounds on waits that end as soon as their condition holds; never a synchronisation. */
const STARTUP_MS = 30_000;
const EVENT_MS = 20_000;

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

function textOf(result: CallToolResult | Record<string, unknown>): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((part) => part.text ?? "").join("");
}

/** One HTTP request an MCP client sent to the route, and what came back. */
interface Sent {
  httpMethod: string;
  method: string | undefined;
  headers: Record<string, string>;
  status?: number;
  sessionHeader?: string | null;
}

function recordingFetch(log: Sent[]): typeof fetch {
  return async (input, init) => {
    const body = typeof init?.body === "string" ? parseJsonObject(init.body) : undefined;
    const entry: Sent = {
      httpMethod: init?.method ?? "GET",
      method: typeof body?.method === "string" ? body.method : undefined,
      headers: Object.fromEntries(new Headers(init?.headers)),
    };
    log.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.sessionHeader = response.headers.get("mcp-session-id");
    return response;
  };
}

/** The built API, the built CLI attached to it with `upstream` as its objectiveai mcp, and the agent's id. */
interface Tunnel {
  api: Child;
  cli: Child;
  mcpUrl: string;
  responseId: string;
  pidFile: string;
  workDir: string;
  /** The process whose stderr carries the fixture's events: the CLI (it logs a stdio upstream's stderr) or the HTTP upstream. */
  events: Child;
}

async function startTunnel(upstream: string, events?: Child): Promise<Tunnel> {
  const workDir = mkdtempSync(join(tmpdir(), "conduit-mcp2026-"));
  const pidFile = join(workDir, "upstream-pids");
  const { child: api, port, mcpPort } = await startApiProcess({}, STARTUP_MS);
  const bodyFile = join(workDir, "body.json");
  writeFileSync(
    bodyFile,
    JSON.stringify({
      agent: { upstream: "mock", turns: [{ content: "ready" }, { await_notification: 600_000 }] },
      client_objectiveai_mcp: { mcps: ["objectiveai"] },
    }),
  );
  const cli = spawnAttach("conduit attach", {
    port,
    bodyFile,
    mcps: { objectiveai: upstream },
    env: { CONDUIT_E2E_PID_FILE: pidFile },
  });
  const responseId = await waitForLine(
    cli,
    (line) => {
      const id = parseJsonObject(line)?.id;
      return typeof id === "string" ? id : undefined;
    },
    "first chunk",
    STARTUP_MS,
  );
  return {
    api,
    cli,
    mcpUrl: `http://127.0.0.1:${mcpPort}/objectiveai`,
    responseId,
    pidFile,
    workDir,
    events: events ?? cli,
  };
}

/** Ends the agent (notify), so the CLI exits 0 having shut its upstreams down; then the API. Every process by pid. */
async function stopTunnel(tunnel: Tunnel | undefined): Promise<{ cliExit: unknown; leftover: number[] }> {
  if (tunnel === undefined) return { cliExit: undefined, leftover: [] };
  let cliExit: unknown;
  try {
    tunnel.cli.proc.stdin.write("#0 done\n");
    cliExit = await within(tunnel.cli.exited, EVENT_MS, "conduit attach after the final notify");
  } catch {
    cliExit = await stop(tunnel.cli);
  }
  await stop(tunnel.api);
  const pids = existsSync(tunnel.pidFile)
    ? readFileSync(tunnel.pidFile, "utf8").split("\n").filter(Boolean).map(Number)
    : [];
  const leftover = pids.filter(isAlive);
  for (const pid of leftover) process.kill(pid, "SIGKILL");
  rmSync(tunnel.workDir, { recursive: true, force: true });
  return { cliExit, leftover };
}

/** A fixture stderr event: its own line, or as the attach CLI logs it (`conduit: upstream … stderr: {json}`). */
function waitForEvent(tunnel: Tunnel, kind: string, marker: string): Promise<Record<string, unknown>> {
  return waitForLine(
    tunnel.events,
    (line) => {
      const json = line.indexOf("{");
      const record = json < 0 ? undefined : parseJsonObject(line.slice(json));
      return record?.event === kind && record.marker === marker ? record : undefined;
    },
    `upstream event ${kind} ${marker}`,
    EVENT_MS,
    "stderr",
  );
}

const openClients: Array<{ close(): Promise<void> }> = [];

async function modernClient(tunnel: Tunnel): Promise<{ client: ModernClient; sent: Sent[] }> {
  const sent: Sent[] = [];
  const transport = new ModernTransport(new URL(tunnel.mcpUrl), {
    requestInit: { headers: { "x-objectiveai-response-id": tunnel.responseId } },
    fetch: recordingFetch(sent),
  });
  const client = new ModernClient(
    { name: "agent-2026", version: "1.0.0" },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: "auto" } },
  );
  await client.connect(transport);
  openClients.push(client);
  return { client, sent };
}

async function legacyClient(tunnel: Tunnel): Promise<{ client: LegacyClient; transport: LegacyTransport }> {
  const transport = new LegacyTransport(new URL(tunnel.mcpUrl), {
    requestInit: { headers: { "x-objectiveai-response-id": tunnel.responseId } },
  });
  const client = new LegacyClient({ name: "agent-2025", version: "1.0.0" });
  await client.connect(transport);
  openClients.push(client);
  return { client, transport };
}

async function closeClients(): Promise<void> {
  for (const client of openClients.splice(0)) await client.close().catch(() => undefined);
}

/**
 * The tests both upstream kinds share. `cancelSeen` is how the upstream learns of a cancel: stdio gets
 * `notifications/cancelled` (its handler's abort reason is that notification's reason, the route's
 * "the HTTP client went away"); HTTP sees its request's stream closed (the SDK's "Connection closed").
 */
function sharedScenarios(get: () => Tunnel, cancelSeen: RegExp): void {
  it("a 2026-07-28 client connects without initialize or session: server/discover, tools/list, tools/call", async () => {
    const { client, sent } = await modernClient(get());
    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(client.getServerVersion()?.name).toBe("conduit-mcp2026-fixture");

    const discovered = await client.discover();
    expect(discovered.supportedVersions).toContain("2026-07-28");
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toEqual(["echo", "whoami", "confirm", "touch", "wait_for_cancel"]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "through the tunnel" } }))).toBe(
      "through the tunnel",
    );
    const whoami = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} }))) as {
      era: string;
      headers: Record<string, string> | null;
    };
    expect(whoami.era).toBe("modern");
    // An HTTP upstream gets the agent's per-request headers (a 2026 server refuses a tools/call without Mcp-Method).
    expect(whoami.headers).toEqual(
      get().events === get().cli
        ? null
        : { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "whoami" },
    );

    const posts = sent.filter((request) => request.httpMethod === "POST");
    expect(posts.map((request) => request.method)).toEqual([
      "server/discover",
      "server/discover",
      "tools/list",
      "tools/call",
      "tools/call",
    ]);
    expect(sent.every((request) => request.httpMethod === "POST")).toBe(true);
    expect(posts.every((request) => request.status === 200)).toBe(true);
    expect(posts.every((request) => request.headers["mcp-session-id"] === undefined)).toBe(true);
    expect(posts.every((request) => request.sessionHeader === null)).toBe(true);
    expect(posts[3]?.headers).toMatchObject({
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "echo",
      "mcp-param-text": "through the tunnel",
    });
  });

  it("an input_required result reaches the client, and its retry with requestState comes back untouched", async () => {
    const { client } = await modernClient(get());
    const first = (await client.callTool(
      { name: "confirm", arguments: {} },
      { allowInputRequired: true },
    )) as unknown as {
      resultType: string;
      inputRequests: Record<string, { method: string; params: { message: string } }>;
      requestState: string;
    };
    expect(first.resultType).toBe("input_required");
    expect(first.inputRequests.confirm).toMatchObject({
      method: "elicitation/create",
      params: { message: "Proceed?" },
    });
    expect(first.requestState).toMatch(/^state:[0-9a-f-]{36}:\+\/=ü$/);

    const answer = { action: "accept", content: { ok: true } };
    const retried = await client.callTool({
      name: "confirm",
      arguments: {},
      inputResponses: { confirm: answer },
      requestState: first.requestState,
    } as Parameters<ModernClient["callTool"]>[0]);
    expect(JSON.parse(textOf(retried))).toEqual({ requestState: first.requestState, answer });

    // The SDK's own multi-round-trip driver, answering from a registered elicitation handler.
    client.setRequestHandler("elicitation/create", () => ({ action: "accept", content: { ok: true } }));
    const driven = JSON.parse(textOf(await client.callTool({ name: "confirm", arguments: {} }))) as {
      requestState: string;
      answer: unknown;
    };
    expect(driven.answer).toEqual(answer);
    expect(driven.requestState).toMatch(/^state:/);
  });

  it("subscriptions/listen streams the subscription's notifications, stamped with the client's own listen id", async () => {
    const { client } = await modernClient(get());
    const { client: other } = await modernClient(get());
    const changed = new Promise<Record<string, unknown> | undefined>((resolve) =>
      client.setNotificationHandler("notifications/tools/list_changed", (notification) =>
        resolve(notification.params?._meta as Record<string, unknown> | undefined),
      ),
    );
    const subscription = await client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });
    // Another agent-side client changes the tools; the subscriber hears of it on its listen stream.
    expect(textOf(await other.callTool({ name: "touch", arguments: {} }))).toBe("touched");
    const meta = await changed;
    expect(String(meta?.[SUBSCRIPTION_ID])).toMatch(/^listen:\d+$/);
    await subscription.close();
    expect(await subscription.closed).toBe("local");
  });

  it("closing the response stream cancels the call upstream", async () => {
    const tunnel = get();
    const { client, sent } = await modernClient(tunnel);
    const marker = randomUUID();
    const controller = new AbortController();
    const started = waitForEvent(tunnel, "started", marker);
    const call = client
      .callTool({ name: "wait_for_cancel", arguments: { marker } }, { signal: controller.signal })
      .then(
        () => "answered",
        () => "rejected",
      );
    await started;
    const cancelled = waitForEvent(tunnel, "cancelled", marker);
    controller.abort(new Error("the agent gave up"));
    expect(await call).toBe("rejected");
    const seen = await cancelled;
    expect(seen.reason).toMatch(cancelSeen);
    // The 2026-07-28 client cancels by closing its stream only: no notifications/cancelled was POSTed.
    expect(sent.some((request) => request.method === "notifications/cancelled")).toBe(false);
  });

  it("a 2025-11-25 SDK 1.x session on the same mcp and socket works side by side with sessionless clients", async () => {
    const tunnel = get();
    const { client: modern } = await modernClient(tunnel);
    const { client: legacy, transport } = await legacyClient(tunnel);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(legacy.getServerVersion()?.name).toBe("conduit-mcp2026-fixture");

    const [legacyWho, modernWho] = await Promise.all([
      legacy.callTool({ name: "whoami", arguments: {} }),
      modern.callTool({ name: "whoami", arguments: {} }),
    ]);
    const legacyInfo = JSON.parse(textOf(legacyWho as CallToolResult)) as { era: string; pid: number };
    const modernInfo = JSON.parse(textOf(modernWho)) as { era: string; pid: number };
    expect(legacyInfo.era).toBe("legacy");
    expect(modernInfo.era).toBe("modern");
    expect(textOf((await legacy.callTool({ name: "echo", arguments: { text: "2025" } })) as CallToolResult)).toBe(
      "2025",
    );
    expect(textOf(await modern.callTool({ name: "echo", arguments: { text: "2026" } }))).toBe("2026");

    // A request with no session that does not declare 2026-07-28 is still "unknown session": 404.
    const stray = await fetch(tunnel.mcpUrl, {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        "x-objectiveai-response-id": tunnel.responseId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stray.status).toBe(404);
    await transport.terminateSession();
  });
}

describe("MCP 2026-07-28 through the tunnel to a stdio upstream", () => {
  let tunnel: Tunnel | undefined;
  beforeAll(async () => {
    tunnel = await startTunnel(`${shellQuote(process.execPath)} ${shellQuote(FIXTURE)}`);
  });
  afterAll(async () => {
    await closeClients();
    const { cliExit, leftover } = await stopTunnel(tunnel);
    expect(cliExit).toMatchObject({ code: 0 });
    expect(leftover).toEqual([]);
  });
  sharedScenarios(() => tunnel as Tunnel, /^the HTTP client went away$/);

  it("sessionless clients of the agent share one upstream process; a 2025 session gets its own", async () => {
    const { client: first } = await modernClient(tunnel as Tunnel);
    const { client: second } = await modernClient(tunnel as Tunnel);
    const { client: legacy } = await legacyClient(tunnel as Tunnel);
    const pidOf = async (client: ModernClient | LegacyClient): Promise<number> =>
      (
        JSON.parse(textOf((await client.callTool({ name: "whoami", arguments: {} })) as CallToolResult)) as {
          pid: number;
        }
      ).pid;
    const [a, b, c] = [await pidOf(first), await pidOf(second), await pidOf(legacy)];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe("MCP 2026-07-28 through the tunnel to a Streamable HTTP upstream", () => {
  let tunnel: Tunnel | undefined;
  let upstream: Child | undefined;
  beforeAll(async () => {
    upstream = spawnNode("fixture (http)", [FIXTURE, "--http", "0"]);
    const url = await waitForLine(
      upstream,
      (line) => {
        const record = parseJsonObject(line);
        return record?.msg === "listening" ? (record.url as string) : undefined;
      },
      "listening line",
      STARTUP_MS,
    );
    tunnel = await startTunnel(url, upstream);
  });
  afterAll(async () => {
    await closeClients();
    const { cliExit } = await stopTunnel(tunnel);
    if (upstream !== undefined) await stop(upstream);
    expect(cliExit).toMatchObject({ code: 0 });
  });
  sharedScenarios(() => tunnel as Tunnel, /Connection closed/);
});
