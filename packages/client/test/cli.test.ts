import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { CLI, ensureBuilt, killRunning, runCli } from "./helpers/cli.js";
import { AGENT_INITIALIZE, FakeApi, chunk, type ApiConnection } from "./helpers/fake-api.js";
import { EVERYTHING_BIN, FIXTURE_SERVER, childPids, isAlive } from "./helpers/processes.js";

const BODY = { agent: { upstream: "mock", turns: [] }, messages: [{ role: "user", content: "hi" }] };
/** BODY declaring the two mcps the tests serve: the body file's content. */
const DECLARING_BODY = { ...BODY, client_objectiveai_mcp: { mcps: ["objectiveai", "acme/tools/1.0.0/fixture"] } };
const EVERYTHING = `objectiveai=${process.execPath} ${EVERYTHING_BIN} stdio`;
const FIXTURE = `acme/tools/1.0.0/fixture=${process.execPath} --experimental-strip-types --no-warnings ${FIXTURE_SERVER}`;

let dir: string;
let bodyFile: string;
let api: FakeApi | undefined;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "conduit-cli-"));
  bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, JSON.stringify(DECLARING_BODY));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await killRunning();
  await api?.stop();
  api = undefined;
});

async function startApi(options: { apiKey?: string } = {}): Promise<FakeApi> {
  api = await FakeApi.start(options);
  return api;
}

function textOf(answer: { result?: unknown }): string {
  return (answer.result as { content: { text: string }[] }).content[0]?.text ?? "";
}

test("--help lists every option, the examples and the exit codes", async () => {
  const run = runCli(["attach", "--help"]);
  expect((await run.exited).code).toBe(0);
  for (const option of [
    "--body",
    "--mcp",
    "--header",
    "--api-key",
    "--json",
    "--quiet",
    "--verbose",
    "--upstream-timeout",
    "--max-upstreams",
    "--help",
  ]) {
    expect(run.stdout()).toContain(option);
  }
  expect(run.stdout()).toContain("CONDUIT_API_KEY");
  expect(run.stdout()).toContain("Examples:");
  expect(run.stdout()).toMatch(/130\s+interrupted/);
  const top = runCli(["--help"]);
  expect((await top.exited).code).toBe(0);
  expect(top.stdout()).toContain("attach");
});

test("usage errors exit 2", async () => {
  const badMcp = runCli(["attach", "ws://127.0.0.1:1/", "--body", bodyFile, "--mcp", "not a kind=node x.js"]);
  expect((await badMcp.exited).code).toBe(2);
  expect(badMcp.stderr()).toContain("invalid mcp kind");
  const noBody = runCli(["attach", "ws://127.0.0.1:1/"]);
  expect((await noBody.exited).code).toBe(2);
  const missingFile = runCli(["attach", "ws://127.0.0.1:1/", "--body", join(dir, "missing.json")]);
  expect((await missingFile.exited).code).toBe(2);
  expect(missingFile.stderr()).toContain("cannot read the body");
  // Past 2^31-1 ms a Node timer fires after 1 ms: every upstream call would "time out" at once.
  const hugeTimeout = runCli(["attach", "ws://127.0.0.1:1/", "--body", bodyFile, "--upstream-timeout", "2147483648"]);
  expect((await hugeTimeout.exited).code).toBe(2);
  expect(hugeTimeout.stderr()).toContain("2147483647");
  for (const limit of ["0", "-1", "1.5", "many"]) {
    const badLimit = runCli(["attach", "ws://127.0.0.1:1/", "--body", bodyFile, "--max-upstreams", limit]);
    expect((await badLimit.exited).code).toBe(2);
    expect(badLimit.stderr()).toContain("--max-upstreams");
  }
});

describe("against a WebSocket API", () => {
  test("--json prints every chunk as one NDJSON line, exactly; exit 0 on close 1000", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", "-", "--json", "--quiet"]);
    run.child.stdin.end(JSON.stringify(BODY));
    const conn = await server.nextConnection();
    expect(await conn.body).toEqual(BODY);
    const sent = [
      chunk(0, "resp_a", { delta: { content: "Hello" } }),
      chunk(0, "resp_a", { tool_call: { id: "c1", mcp: "objectiveai", name: "echo", arguments: { message: "x" } } }),
      chunk(0, "resp_a", { finish_reason: "stop", usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
    ];
    for (const data of sent) conn.sendChunk(data);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toBe(sent.map((data) => `${JSON.stringify(data)}\n`).join(""));
    expect(run.stderr()).toBe("");
  });

  test("readable output: tool call and result lines from a real upstream, deltas as one block", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url.replace("ws://", "http://"), "--body", bodyFile, "--mcp", EVERYTHING]);
    const conn = await server.nextConnection();
    const { sessionId } = await conn.initialize("objectiveai");
    const args = { message: "from the agent" };
    const echo = await conn.call("objectiveai", sessionId, "tools/call", { name: "echo", arguments: args });
    const image = await conn.call("objectiveai", sessionId, "tools/call", { name: "get-tiny-image", arguments: {} });
    conn.sendChunk(chunk(0, "resp_a", { tool_call: { id: "c1", mcp: "objectiveai", name: "echo", arguments: args } }));
    conn.sendChunk(
      chunk(0, "resp_a", {
        tool_result: { tool_call_id: "c1", content: (echo.result as { content: unknown[] }).content, is_error: false },
      }),
    );
    conn.sendChunk(
      chunk(0, "resp_a", {
        tool_result: { tool_call_id: "c2", content: (image.result as { content: unknown[] }).content, is_error: true },
      }),
    );
    conn.sendChunk(chunk(0, "resp_a", { delta: { content: "All " } }));
    conn.sendChunk(chunk(0, "resp_a", { delta: { content: "done." } }));
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout().split("\n")).toEqual([
      '[0] → tool objectiveai::echo({"message":"from the agent"})',
      "[0] ← result: Echo: from the agent",
      expect.stringMatching(
        /^\[0\] ← result \(error\): Here's the image you requested: \[image image\/png, \d+ bytes\] The image above is the MCP logo\.$/,
      ),
      "[0] All done.",
      "[0] ■ finished: stop",
      "",
    ]);
  });

  test("content blocks with odd field values are printed; they never crash the CLI", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile]);
    const conn = await server.nextConnection();
    // Valid chunks (content blocks are unknown[]) whose fields are objects that String() cannot convert.
    const odd = { toString: 1 };
    const content = [
      { type: "image", mimeType: odd, data: "AAAA" },
      { type: odd },
      { type: "resource", resource: { uri: odd } },
      { type: "resource_link", uri: odd },
    ];
    conn.sendChunk(chunk(0, "resp_a", { tool_result: { tool_call_id: "c1", content, is_error: false } }));
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
    conn.close(1000);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout().split("\n")).toEqual([
      '[0] ← result: [image {"toString":1}, 3 bytes] [{"toString":1}] [resource {"toString":1}] [link {"toString":1}]',
      "[0] ■ finished: stop",
      "",
    ]);
  });

  test.each(["json", "readable"] as const)(
    "a chunk too deeply nested to print is reported and skipped, the CLI goes on (%s output)",
    async (mode) => {
      const server = await startApi();
      const run = runCli(["attach", server.url, "--body", bodyFile, ...(mode === "json" ? ["--json"] : [])]);
      const conn = await server.nextConnection();
      // Valid JSON that JSON.parse takes but JSON.stringify (recursive) cannot.
      const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
      conn.sendRaw(
        `{"type":"chunk","data":{"id":"resp_a","object":"agent.completion.chunk","index":0,"created":1,` +
          `"tool_result":{"tool_call_id":"c1","content":[{"type":${deep}}],"is_error":false}}}`,
      );
      const last = chunk(0, "resp_a", { finish_reason: "stop" });
      conn.sendChunk(last);
      conn.close(1000);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(run.stdout()).toBe(mode === "json" ? `${JSON.stringify(last)}\n` : "[0] ■ finished: stop\n");
      expect(run.stderr()).toMatch(/cannot print a chunk of agent #0: .*call stack/);
    },
  );

  test("serves only the declared mcps; warns once at the default level about each mismatch", async () => {
    const server = await startApi();
    const declaringFile = join(dir, "declares-fixture.json");
    const declared = ["acme/tools/1.0.0/fixture", "acme/nowhere/1.0.0/x"];
    writeFileSync(declaringFile, JSON.stringify({ ...BODY, client_objectiveai_mcp: { mcps: declared } }));
    const run = runCli(["attach", server.url, "--body", declaringFile, "--mcp", FIXTURE, "--mcp", EVERYTHING]);
    const conn = await server.nextConnection();
    const refused = await conn.request("objectiveai", "initialize", { arguments: {}, initialize: AGENT_INITIALIZE });
    expect(refused.error).toEqual({ code: -32001, message: "mcp objectiveai is not declared by this request" });
    expect(childPids(EVERYTHING_BIN, run.child.pid)).toEqual([]);
    await conn.initialize("acme/tools/1.0.0/fixture");
    expect(childPids(FIXTURE_SERVER, run.child.pid)).toHaveLength(1);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    const warnings = run
      .stderr()
      .split("\n")
      .filter((line) => line.startsWith("conduit: warn: "));
    expect(warnings).toEqual([
      "conduit: warn: mcp objectiveai has an upstream configured but is not declared by the request body (client_objectiveai_mcp.mcps): it will not be served",
      "conduit: warn: mcp acme/nowhere/1.0.0/x is declared by the request body but has no upstream configured: its initialize will fail with -32004",
    ]);
  });

  test("an error frame exits 3", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile]);
    const conn = await server.nextConnection();
    conn.sendError(-32600, "invalid body", 1003);
    expect((await run.exited).code).toBe(3);
    expect(run.stderr()).toContain("invalid body");
  });

  test("an abnormal close exits 3", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile]);
    const conn = await server.nextConnection();
    conn.close(1011);
    expect((await run.exited).code).toBe(3);
    expect(run.stderr()).toContain("1011");
  });

  test("HTTP 401 exits 3; the key from CONDUIT_API_KEY or --api-key is sent as a bearer token", async () => {
    const server = await startApi({ apiKey: "sekret" });
    const refused = runCli(["attach", server.url, "--body", bodyFile, "--api-key", "wrong"]);
    expect((await refused.exited).code).toBe(3);
    expect(refused.stderr()).toContain("HTTP 401");

    const fromEnv = runCli(["attach", server.url, "--body", bodyFile], { CONDUIT_API_KEY: "sekret" });
    const conn = await server.nextConnection();
    expect(conn.headers.authorization).toBe("Bearer sekret");
    conn.close(1000);
    expect((await fromEnv.exited).code).toBe(0);
  });

  test("a refused connection exits 3", async () => {
    const server = await startApi();
    const url = server.url;
    await server.stop();
    api = undefined;
    const run = runCli(["attach", url, "--body", bodyFile]);
    expect((await run.exited).code).toBe(3);
    expect(run.stderr()).toContain("ECONNREFUSED");
  });

  test("notify lines on stdin become agent_completion_notify; bad lines are reported, not fatal", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile]);
    const conn = await server.nextConnection();
    conn.sendChunk(chunk(3, "resp_three", { notification: { content: "ready" } }));
    await run.waitForStdout(/\[3\] ✉ notification: ready/);

    run.child.stdin.write("this-is-not-valid\n#9 nobody\n");
    run.child.stdin.write("#3 please summarise\n");
    const first = await conn.nextClientRequest();
    expect(first).toMatchObject({
      method: "agent_completion_notify",
      params: { response_id: "resp_three", content: "please summarise" },
    });
    conn.respond(first.id);
    await run.waitForStderr(/notify delivered to #3/);

    run.child.stdin.write(`${JSON.stringify({ response_id: "resp_other", content: "json form" })}\n`);
    const second = await conn.nextClientRequest();
    expect(second).toMatchObject({ params: { response_id: "resp_other", content: "json form" } });
    conn.respond(second.id, { code: 404, message: "response_id not in this stream" });
    await run.waitForStderr(/notify to resp_other failed \(404\)/);

    expect(run.stderr()).toContain("ignored notify line");
    expect(run.stderr()).toContain("no agent #9");
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
  });
});

describe("shutdown", () => {
  async function spawnUpstreams(conn: ApiConnection): Promise<number[]> {
    const pids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { sessionId } = await conn.initialize("acme/tools/1.0.0/fixture");
      const answer = await conn.call("acme/tools/1.0.0/fixture", sessionId, "tools/call", {
        name: "argv",
        arguments: {},
      });
      pids.push((JSON.parse(textOf(answer)) as { pid: number }).pid);
    }
    return pids;
  }

  test.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "%s closes the socket, ends the upstream children and exits 130",
    async (signal) => {
      const server = await startApi();
      const run = runCli(["attach", server.url, "--body", bodyFile, "--mcp", FIXTURE]);
      const conn = await server.nextConnection();
      const pids = await spawnUpstreams(conn);
      expect(pids.every(isAlive)).toBe(true);

      run.child.kill(signal);
      expect((await run.exited).code).toBe(130);
      expect(await conn.closed).toBe(1001);
      expect(pids.filter(isAlive)).toEqual([]);
    },
  );

  test("a reader that went away on stdout and stderr (`2>&1 | head`) ends the stream and the children", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile, "--mcp", FIXTURE, "--verbose"]);
    const conn = await server.nextConnection();
    const pids = await spawnUpstreams(conn);
    run.child.stdout.destroy();
    run.child.stderr.destroy();
    conn.sendChunk(chunk(0, "resp_a", { delta: { content: "nobody reads this" } }));
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
    // The CLI closes the socket itself (1001) instead of dying on EPIPE with its children left behind.
    expect(await conn.closed).toBe(1001);
    expect(await run.exited).toEqual({ code: 3, signal: null });
    expect(pids.filter(isAlive)).toEqual([]);
  });

  test("--max-upstreams bounds the upstream children: past it initialize is -32005 and spawns nothing", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile, "--mcp", FIXTURE, "--max-upstreams", "2"]);
    const conn = await server.nextConnection();
    const pids = await spawnUpstreams(conn);
    const refused = await conn.request("acme/tools/1.0.0/fixture", "initialize", {
      arguments: {},
      initialize: AGENT_INITIALIZE,
    });
    expect(refused.error).toEqual({
      code: -32005,
      message: "upstream limit reached: this attach session runs at most 2 upstream connections (maxUpstreams)",
    });
    expect(childPids(FIXTURE_SERVER, run.child.pid).sort()).toEqual([...pids].sort());
    await run.waitForStderr(/warn: upstream limit reached \(2 live\)/);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  test("the upstream children are ended when the stream finishes, too", async () => {
    const server = await startApi();
    const run = runCli(["attach", server.url, "--body", bodyFile, "--mcp", FIXTURE]);
    const conn = await server.nextConnection();
    const pids = await spawnUpstreams(conn);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(CLI).toMatch(/dist\/cli\.js$/);
  });
});
