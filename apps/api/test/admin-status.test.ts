// GET /admin/status on the built API: the listing of a real attached client, and who may read it.
import { afterEach, describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { createAdminAuthorizer } from "../src/auth.js";
import {
  CLI_MAIN,
  DECLARE_EVERYTHING,
  ECHO,
  cleanup,
  exitWithin,
  mockBody,
  spawnNode,
  startApi,
  startLibrarySession,
} from "./helpers.js";

afterEach(() => cleanup());

interface Status {
  status: string;
  mcpUrl: string;
  totals: { sockets: number; agents: number; inFlight: number };
  sockets: {
    id: string;
    remoteAddress: string;
    subprotocol: string;
    connectedMs: number;
    agents: string[];
    declaredMcps: string[];
    inFlight: number;
  }[];
  traffic: { windowMs: number; counts: { mcp: string; method: string; outcome: string; count: number }[] };
}

function getStatus(baseUrl: string, key?: string): Promise<Response> {
  return fetch(`${baseUrl}/admin/status`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
}

describe("GET /admin/status", () => {
  it("lists the attached socket, its shortened agent ids, declared mcps and the MCP traffic", async () => {
    // ADMIN_API_KEYS alone: the public routes stay open, the admin route wants the admin key.
    const api = await startApi({ ADMIN_API_KEYS: "admin-key" });
    const attached = startLibrarySession(
      api.wsUrl,
      mockBody([ECHO("for the admin"), { content: "ready" }, { await_notification: 60_000 }], DECLARE_EVERYTHING),
    );
    const result = await attached.waitFor((chunk) => chunk.tool_result !== undefined, "the echo tool's result");
    const responseId = result.id;
    expect((await getStatus(api.baseUrl)).status).toBe(401);

    // The route counts a request once it settled, which races the result's chunk: wait for the count.
    await expect
      .poll(async () => ((await (await getStatus(api.baseUrl, "admin-key")).json()) as Status).traffic.counts)
      .toContainEqual({ mcp: "objectiveai", method: "tools/call", outcome: "ok", count: 1 });
    const response = await getStatus(api.baseUrl, "admin-key");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const status = (await response.json()) as Status;
    expect(status.status).toBe("ok");
    expect(status.mcpUrl).toBe(api.mcpUrl);
    expect(status.sockets).toHaveLength(1);
    expect(status.sockets[0]).toMatchObject({
      remoteAddress: "127.0.0.1",
      subprotocol: "conduit.v2",
      agents: [`${responseId.slice(0, 12)}…`],
      declaredMcps: ["objectiveai"],
      inFlight: 0,
    });
    expect(JSON.stringify(status)).not.toContain(responseId);
    expect(status.totals).toMatchObject({ sockets: 1, agents: 1 });
    expect(status.traffic.counts).toContainEqual({ mcp: "objectiveai", method: "tools/call", outcome: "ok", count: 1 });

    const cli = spawnNode([CLI_MAIN, "status", "--url", api.wsUrl], { CONDUIT_API_KEY: "admin-key" });
    expect(await exitWithin(cli)).toMatchObject({ code: 0 });
    const lines = cli.stdout.lines;
    expect(lines[0]).toContain("1 socket(s), 1 agent(s)");
    const row = lines.find((line) => line.startsWith(`${status.sockets[0]!.id} `));
    expect(row).toMatch(/127\.0\.0\.1\s+conduit\.v2\s+\S+.*\s+0\s+objectiveai\s+resp_/);
    expect(row).toContain(`${responseId.slice(0, 12)}…`);
    expect(lines.some((line) => /^objectiveai\s+tools\/call\s+ok\s+1$/.test(line))).toBe(true);
  });

  it("answers 401 without a key, 403 for an API key that is not an admin key, 200 for an admin key", async () => {
    const api = await startApi({ API_KEYS: "user-key", ADMIN_API_KEYS: "admin-key" });
    const missing = await getStatus(api.baseUrl);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expect((await getStatus(api.baseUrl, "wrong")).status).toBe(401);
    const userKey = await getStatus(api.baseUrl, "user-key");
    expect(userKey.status).toBe(403);
    expect(((await userKey.json()) as { error: { message: string } }).error.message).toContain("ADMIN_API_KEYS");
    expect((await getStatus(api.baseUrl, "admin-key")).status).toBe(200);
    // The admin key is not an API key: the public routes still want one of API_KEYS.
    expect((await fetch(`${api.baseUrl}/healthz`, { headers: { authorization: "Bearer admin-key" } })).status).toBe(
      401,
    );
  });

  it("falls back to API_KEYS when ADMIN_API_KEYS is unset", async () => {
    const api = await startApi({ API_KEYS: "user-key" });
    expect((await getStatus(api.baseUrl)).status).toBe(401);
    expect((await getStatus(api.baseUrl, "user-key")).status).toBe(200);
  });

  it("answers a loopback peer when no key is configured at all, and only GET", async () => {
    const api = await startApi();
    const response = await getStatus(api.baseUrl);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Status).sockets).toEqual([]);
    const post = await fetch(`${api.baseUrl}/admin/status`, { method: "POST" });
    expect(post.status).toBe(405);
  });
});

describe("conduit status", () => {
  it("prints the listing as a table, and as the API's JSON with --json", async () => {
    const api = await startApi({ API_KEYS: "user-key", ADMIN_API_KEYS: "admin-key" });
    const table = spawnNode([CLI_MAIN, "status", "--url", api.wsUrl, "--api-key", "admin-key"], {
      CONDUIT_API_KEY: undefined,
    });
    expect(await exitWithin(table)).toMatchObject({ code: 0 });
    expect(table.stdout.text()).toContain("0 socket(s), 0 agent(s), 0 MCP request(s) in flight");
    expect(table.stdout.text()).toContain("MCP traffic, last 15m 0s: 0 request(s)");

    const json = spawnNode([CLI_MAIN, "status", "--url", api.baseUrl, "--json"], { CONDUIT_API_KEY: "admin-key" });
    expect(await exitWithin(json)).toMatchObject({ code: 0 });
    const printed = JSON.parse(json.stdout.text()) as Status;
    expect(printed).toMatchObject({ status: "ok", mcpUrl: api.mcpUrl, sockets: [] });
  });

  it("exits 3 with the API's message and a hint on 401", async () => {
    const api = await startApi({ API_KEYS: "user-key" });
    const refused = spawnNode([CLI_MAIN, "status", "--url", api.wsUrl], { CONDUIT_API_KEY: undefined });
    expect(await exitWithin(refused)).toMatchObject({ code: 3 });
    expect(refused.stderr.text()).toContain("answered 401: missing or invalid admin bearer key");
    expect(refused.stderr.text()).toContain("--api-key");
    expect(refused.stdout.text()).toBe("");
  });
});

describe("createAdminAuthorizer", () => {
  const request = (remoteAddress: string, authorization?: string): IncomingMessage =>
    ({ socket: { remoteAddress }, headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

  it("with no key configured, answers loopback peers only (403 otherwise)", () => {
    const authorize = createAdminAuthorizer({ adminKeys: [], apiKeys: [] });
    expect(authorize(request("127.0.0.1"))).toEqual({ ok: true });
    expect(authorize(request("::1"))).toEqual({ ok: true });
    expect(authorize(request("::ffff:127.0.0.1"))).toEqual({ ok: true });
    expect(authorize(request("10.0.0.5"))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(request("::ffff:10.0.0.5"))).toMatchObject({ ok: false, status: 403 });
  });

  it("with a key configured, a loopback peer needs it too", () => {
    const authorize = createAdminAuthorizer({ adminKeys: ["admin-key"], apiKeys: [] });
    expect(authorize(request("127.0.0.1"))).toMatchObject({ ok: false, status: 401 });
    expect(authorize(request("10.0.0.5", "Bearer admin-key"))).toEqual({ ok: true });
  });
});
