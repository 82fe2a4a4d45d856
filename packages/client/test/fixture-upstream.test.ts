import { ConduitErrorCode, JsonRpcErrorCode } from "@conduit/protocol";
import { afterEach, expect, test, vi } from "vitest";
import { FIXTURE_SERVER, childPids, fixtureSpec, isAlive } from "./helpers/processes.js";
import { startHarness, stopAll } from "./helpers/session.js";

const MCP = "acme/tools/1.0.0/fixture";

afterEach(stopAll);

function textOf(answer: { result?: unknown }): string {
  return (answer.result as { content: { text: string }[] }).content[0]?.text ?? "";
}

async function fixture(options: { upstreamTimeoutMs?: number } = {}) {
  return startHarness({ mcps: { [MCP]: fixtureSpec }, ...options });
}

test("initialize arguments become --flags in order, a null value a bare flag", async () => {
  const { conn } = await fixture();
  const { sessionId, result } = await conn.initialize(MCP, { root: "/tmp/some dir", verbose: null, level: "3" });
  expect(result.serverInfo).toEqual({ name: "conduit-fixture", version: "1.2.3" });
  const answer = await conn.call(MCP, sessionId, "tools/call", { name: "argv", arguments: {} });
  const { argv } = JSON.parse(textOf(answer)) as { argv: string[] };
  expect(argv).toEqual(["--root", "/tmp/some dir", "--verbose", "--level", "3"]);
});

test("a stdio upstream inherits the environment, minus CONDUIT_API_KEY, plus the spec's env", async () => {
  vi.stubEnv("CONDUIT_TEST_INHERITED", "from the shell");
  vi.stubEnv("CONDUIT_API_KEY", "sk-never-passed-on");
  try {
    const spec = { ...fixtureSpec, env: { CONDUIT_TEST_EXTRA: "from the spec" } };
    const { conn } = await startHarness({ mcps: { [MCP]: spec } });
    const { sessionId } = await conn.initialize(MCP);
    const names = ["CONDUIT_TEST_INHERITED", "CONDUIT_API_KEY", "CONDUIT_TEST_EXTRA"];
    const answer = await conn.call(MCP, sessionId, "tools/call", { name: "env", arguments: { names } });
    expect(JSON.parse(textOf(answer))).toEqual({
      CONDUIT_TEST_INHERITED: "from the shell",
      CONDUIT_API_KEY: null,
      CONDUIT_TEST_EXTRA: "from the spec",
    });
  } finally {
    vi.unstubAllEnvs();
  }
});

test("an upstream that dies mid-call answers -32004 at once; the session is gone; initialize respawns it", async () => {
  const { conn } = await fixture();
  const { sessionId } = await conn.initialize(MCP);
  const before = JSON.parse(textOf(await conn.call(MCP, sessionId, "tools/call", { name: "argv", arguments: {} }))) as {
    pid: number;
  };

  const hanging = conn.call(MCP, sessionId, "tools/call", { name: "hang", arguments: {} });
  const died = await conn.call(MCP, sessionId, "tools/call", { name: "die", arguments: {} });
  expect(died.error?.code).toBe(ConduitErrorCode.UpstreamFailed);
  expect(died.error?.message).toMatch(/closed before answering tools\/call/);
  expect((await hanging).error?.code).toBe(ConduitErrorCode.UpstreamFailed);
  expect(isAlive(before.pid)).toBe(false);

  const later = await conn.call(MCP, sessionId, "tools/list", {});
  expect(later.error).toEqual({
    code: ConduitErrorCode.NoReverseChannel,
    message: "unknown or terminated Mcp-Session-Id",
  });

  const again = await conn.initialize(MCP);
  const after = JSON.parse(
    textOf(await conn.call(MCP, again.sessionId, "tools/call", { name: "argv", arguments: {} })),
  ) as { pid: number };
  expect(after.pid).not.toBe(before.pid);
  expect(isAlive(after.pid)).toBe(true);
});

test("a call the upstream never answers fails with -32004 after upstreamTimeoutMs", async () => {
  // The limit also bounds initialize, which spawns a Node process: long enough for a loaded machine.
  const { conn } = await fixture({ upstreamTimeoutMs: 8_000 });
  const { sessionId } = await conn.initialize(MCP);
  const answer = await conn.call(MCP, sessionId, "tools/call", { name: "hang", arguments: {} });
  expect(answer.error).toEqual({
    code: ConduitErrorCode.UpstreamFailed,
    message: `upstream ${MCP} did not answer tools/call within 8000 ms`,
  });
  // The connection itself survives a timeout.
  expect((await conn.call(MCP, sessionId, "tools/list", {})).error).toBeUndefined();
});

test("tools/list_changed from the upstream becomes an mcp_list_changed client_request", async () => {
  const { conn } = await fixture();
  const { sessionId } = await conn.initialize(MCP);
  const added = await conn.call(MCP, sessionId, "tools/call", { name: "add-tool", arguments: { name: "fresh" } });
  expect(textOf(added)).toBe("added fresh");
  const request = await conn.nextClientRequest();
  expect(request).toMatchObject({
    type: "client_request",
    method: "mcp_list_changed",
    params: { mcp: MCP, list: "tools" },
  });
  conn.respond(request.id);
  const list = await conn.call(MCP, sessionId, "tools/list", {});
  expect((list.result as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toContain("fresh");
  expect(conn.invalidFrames).toEqual([]);
});

test("requests from the upstream: ping is answered with {}, anything else with -32601", async () => {
  const { conn } = await fixture();
  const { sessionId } = await conn.initialize(
    MCP,
    {},
    {
      protocolVersion: "2025-06-18",
      capabilities: { roots: { listChanged: true } },
      clientInfo: { name: "agent", version: "1" },
    },
  );
  const ping = await conn.call(MCP, sessionId, "tools/call", { name: "ask-client", arguments: { method: "ping" } });
  expect(JSON.parse(textOf(ping))).toEqual({ answer: {} });
  const roots = await conn.call(MCP, sessionId, "tools/call", {
    name: "ask-client",
    arguments: { method: "roots/list" },
  });
  expect(JSON.parse(textOf(roots))).toMatchObject({ error: { code: JsonRpcErrorCode.MethodNotFound } });
});

test("a command that cannot be spawned answers initialize with -32004", async () => {
  const { conn } = await startHarness({
    mcps: { [MCP]: { kind: "stdio", command: "/nonexistent/conduit-test-binary" } },
  });
  const answer = await conn.request(MCP, "initialize", { arguments: {}, initialize: {} });
  expect(answer.error?.code).toBe(ConduitErrorCode.UpstreamFailed);
  expect(answer.error?.message).toMatch(/cannot start upstream/);
});

test("an upstream that rejects initialize passes its JSON-RPC error through and is shut down", async () => {
  const { conn } = await fixture();
  const answer = await conn.request(MCP, "initialize", { arguments: {}, initialize: { nonsense: true } });
  // The SDK server's own answer to bad InitializeRequest params, untouched.
  expect(answer.error?.code).toBe(JsonRpcErrorCode.InternalError);
  expect(answer.error?.message).toContain("protocolVersion");
  await vi.waitFor(() => expect(childPids(FIXTURE_SERVER)).toEqual([]));
});

test("an upstream's stderr is logged line by line; a line that never ends is cut at 8 KiB, not buffered", async () => {
  // Not an MCP server: it writes to stderr, then waits for its stdin to end.
  const script = [
    'process.stderr.write("hello\\r\\nworld\\n" + "x".repeat(100_000));',
    'process.stdin.on("end", () => process.exit(0)).resume();',
  ].join("\n");
  const { conn, logs } = await startHarness({
    mcps: { [MCP]: { kind: "stdio", command: process.execPath, args: ["-e", script] } },
  });
  void conn.request(MCP, "initialize", { arguments: {}, initialize: {} });
  const prefix = `upstream ${MCP} stderr: `;
  const stderrLines = () =>
    logs.filter((log) => log.message.startsWith(prefix)).map((log) => log.message.slice(prefix.length));
  await vi.waitFor(() => expect(stderrLines()).toHaveLength(3), { timeout: 10_000, interval: 20 });
  const [hello, world, long] = stderrLines() as [string, string, string];
  expect([hello, world]).toEqual(["hello", "world"]);
  expect(long.startsWith("x".repeat(8192))).toBe(true);
  expect(long.length).toBeLessThan(8192 + 64);
  expect(long).toMatch(/cut at 8192 characters/);
});
