import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, killRunning, runCli, type CliRun } from "./helpers/cli.js";
import { AGENT_INITIALIZE, FakeApi, chunk } from "./helpers/fake-api.js";
import { Gatekeeper, SilentPeer, UNAUTHORIZED_MESSAGE } from "./helpers/gatekeeper.js";

const CRASH_AT_START = fileURLToPath(new URL("./fixtures/crash-at-start.ts", import.meta.url));
const STDOUT_BANNER = fileURLToPath(new URL("./fixtures/stdout-banner.ts", import.meta.url));
const NODE_TS = `${process.execPath} --experimental-strip-types --no-warnings`;
const BODY = {
  agent: { upstream: "mock", turns: [] },
  messages: [{ role: "user", content: "hi" }],
  client_objectiveai_mcp: { mcps: ["objectiveai"] },
};

let dir: string;
let bodyFile: string;
const stops: Array<() => Promise<void>> = [];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "conduit-cli-exit-"));
  bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, JSON.stringify(BODY));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await killRunning();
  for (const stop of stops.splice(0)) await stop();
});

async function fakeApi(): Promise<FakeApi> {
  const api = await FakeApi.start();
  stops.push(() => api.stop());
  return api;
}

/** The lines of stderr that contain `text`. */
function linesWith(run: CliRun, text: string): string[] {
  return run
    .stderr()
    .split("\n")
    .filter((line) => line.includes(text));
}

test("--version prints the client package's version and exits 0", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  const run = runCli(["--version"]);
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(run.stdout()).toBe(`${version}\n`);
});

test.each([[["--help"]], [["attach", "--help"]]])("%j lists the exit codes in order of precedence", async (args) => {
  const run = runCli(args);
  expect((await run.exited).code).toBe(0);
  const help = run.stdout();
  const codes = [...help.slice(help.indexOf("Exit codes")).matchAll(/^ {2}\(?(\d+) /gm)].map((match) => match[1]);
  expect(codes).toEqual(["130", "2", "3", "4", "5", "0", "1"]);
});

test("attach --help lists the new options", async () => {
  const run = runCli(["attach", "--help"]);
  expect((await run.exited).code).toBe(0);
  for (const option of ["--config", "--connect-timeout", "--no-status", "conduit.config.json"]) {
    expect(run.stdout()).toContain(option);
  }
});

describe("connection failures exit 3 with a hint", () => {
  test("404 on the upgrade names the path tried and /agent/completions", async () => {
    const gate = await Gatekeeper.start("sekret");
    stops.push(() => gate.stop());
    const url = `${gate.origin()}/v1/agent`;
    const run = runCli(["attach", url, "--body", bodyFile], { CONDUIT_API_KEY: "sekret" });
    expect((await run.exited).code).toBe(3);
    const lines = linesWith(run, "HTTP 404");
    expect(lines).toEqual([
      `conduit: error: the server refused the WebSocket upgrade at ${url} with HTTP 404 Not Found: not found; ` +
        `the Conduit API serves the WebSocket at /agent/completions, e.g. ${gate.origin()}/agent/completions`,
    ]);
  });

  test("401 shows the server's message and names --api-key and CONDUIT_API_KEY", async () => {
    const gate = await Gatekeeper.start("sekret");
    stops.push(() => gate.stop());
    const url = `${gate.origin()}/agent/completions`;
    const noKey = runCli(["attach", url, "--body", bodyFile]);
    expect((await noKey.exited).code).toBe(3);
    const [line, ...more] = linesWith(noKey, UNAUTHORIZED_MESSAGE);
    expect(more).toEqual([]);
    expect(line).toContain("HTTP 401 Unauthorized");
    expect(line).toContain("no key was sent");
    expect(line).toContain("--api-key");
    expect(line).toContain("CONDUIT_API_KEY");

    const wrongKey = runCli(["attach", url, "--body", bodyFile, "--api-key", "wrong"]);
    expect((await wrongKey.exited).code).toBe(3);
    expect(linesWith(wrongKey, UNAUTHORIZED_MESSAGE)).toEqual([
      expect.stringContaining("the key sent was not accepted"),
    ]);
  });

  test("ECONNREFUSED asks whether the API runs there", async () => {
    const api = await fakeApi();
    const url = api.url;
    await api.stop();
    stops.pop();
    const run = runCli(["attach", url, "--body", bodyFile]);
    expect((await run.exited).code).toBe(3);
    const origin = new URL(url).host;
    expect(linesWith(run, "ECONNREFUSED")).toEqual([
      `conduit: error: cannot connect to ${url}: connection refused (ECONNREFUSED): is the API running at http://${origin}?`,
    ]);
  });

  test("a silent TCP peer ends after --connect-timeout with a clear message", async () => {
    const peer = await SilentPeer.start();
    stops.push(() => peer.stop());
    const run = runCli(["attach", peer.url(), "--body", bodyFile, "--connect-timeout", "300"]);
    await peer.accepted;
    expect((await run.exited).code).toBe(3);
    expect(linesWith(run, "no answer")).toEqual([
      `conduit: error: no answer to the WebSocket upgrade from ${peer.url()} within 300 ms: ` +
        "is a Conduit API listening there? (raise the limit with --connect-timeout <ms>)",
    ]);
  });

  test("a body the server rejects is reported once, with the server's message", async () => {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile]);
    const conn = await api.nextConnection();
    conn.sendError(-32600, "field messages: expected an array", 1003);
    expect((await run.exited).code).toBe(3);
    expect(linesWith(run, "expected an array")).toEqual([
      "conduit: error: the server rejected the request: -32600 field messages: expected an array (close 1003)",
    ]);
  });
});

describe("upstream failures exit 4, each printed once at the default level", () => {
  async function failInitialize(mcpSpec: string, times = 2, extraArgs: string[] = []): Promise<CliRun> {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile, "--mcp", `objectiveai=${mcpSpec}`, ...extraArgs]);
    const conn = await api.nextConnection();
    for (let i = 0; i < times; i++) {
      const answer = await conn.request("objectiveai", "initialize", { arguments: {}, initialize: AGENT_INITIALIZE });
      expect(answer.error?.code).toBe(-32004);
    }
    conn.close(1000);
    expect((await run.exited).code).toBe(4);
    return run;
  }

  test("a command that does not exist", async () => {
    const run = await failInitialize("npxx-not-installed -y some-server");
    expect(linesWith(run, "could not start")).toEqual([
      'conduit: error: upstream "objectiveai" could not start: command "npxx-not-installed" not found (spawn ENOENT)',
    ]);
  });

  test("an upstream that crashes at start: its stderr is shown once, then the failure with its exit code", async () => {
    const run = await failInitialize(`${NODE_TS} ${CRASH_AT_START}`, 1);
    expect(linesWith(run, "fatal: settings file not found")).toEqual([
      "conduit: upstream objectiveai stderr: fatal: settings file not found",
    ]);
    const failure =
      'conduit: error: upstream "objectiveai" could not start: closed before answering initialize: ' +
      "the process exited with code 3; its stderr is shown above";
    expect(linesWith(run, "could not start")).toEqual([failure]);
    expect(run.stderr().indexOf("fatal: settings file not found")).toBeLessThan(run.stderr().indexOf(failure));
  });

  test("with --quiet (no stderr lines), the failure quotes the stderr tail, once per distinct failure", async () => {
    const run = await failInitialize(`${NODE_TS} ${CRASH_AT_START}`, 2, ["--quiet"]);
    expect(linesWith(run, "settings")).toEqual([
      'conduit: error: upstream "objectiveai" could not start: closed before answering initialize: ' +
        "the process exited with code 3; its stderr ended with: loading settings from ./missing.toml | fatal: settings file not found",
    ]);
  });

  test("an upstream that writes non-JSON on stdout: one warning with the line and the hint; the failure says so", async () => {
    const run = await failInitialize(`${NODE_TS} ${STDOUT_BANNER}`, 1);
    expect(linesWith(run, "this line is not JSON")).toEqual([
      'conduit: warn: upstream objectiveai printed a line on stdout that is not JSON-RPC: "Server listening on port 3000 (this line is not JSON)"; ' +
        "MCP stdio servers must print only JSON-RPC on stdout; log to stderr",
    ]);
    expect(linesWith(run, "could not start")).toEqual([
      'conduit: error: upstream "objectiveai" could not start: closed before answering initialize: the process exited with code 1; ' +
        "it printed 1 line on stdout that is not JSON-RPC (see the warning above)",
    ]);
  });

  test("an HTTP upstream that is down: the hint names its URL", async () => {
    const down = await FakeApi.start();
    const url = `${down.url.replace("ws://", "http://").replace("/agent/completions", "")}/mcp`;
    await down.stop();
    const run = await failInitialize(url, 1);
    expect(linesWith(run, "could not start")).toEqual([
      expect.stringMatching(
        /^conduit: error: upstream "objectiveai" could not start: .*: is the MCP server running at http:\/\/127\.0\.0\.1:\d+\/mcp\?$/,
      ),
    ]);
  });

  test("an mcp the body does not declare gets a clear warning (and is not a failure)", async () => {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile, "--mcp", "acme/files/1.0.0/fs=http://127.0.0.1:9/mcp"]);
    const conn = await api.nextConnection();
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    expect(linesWith(run, "warn:")).toEqual([
      "conduit: warn: mcp acme/files/1.0.0/fs has an upstream configured but is not declared by the request body (client_objectiveai_mcp.mcps): it will not be served",
      "conduit: warn: mcp objectiveai is declared by the request body but has no upstream configured: its initialize will fail with -32004",
    ]);
  });
});

describe("agents that fail exit 5", () => {
  test("an agent that finished with error; the others fine", async () => {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile, "--json"]);
    const conn = await api.nextConnection();
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
    conn.sendChunk(chunk(1, "resp_b", { finish_reason: "error", error: { code: 502, message: "model unreachable" } }));
    conn.close(1000);
    expect((await run.exited).code).toBe(5);
    expect(linesWith(run, "error:")).toEqual(["conduit: error: 1 of 2 agents finished with an error (#1)"]);
  });

  test("an upstream failure and a failed agent: the upstream's 4 wins", async () => {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile, "--mcp", "objectiveai=npxx-not-installed"]);
    const conn = await api.nextConnection();
    await conn.request("objectiveai", "initialize", { arguments: {}, initialize: AGENT_INITIALIZE });
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "error", error: { code: 500, message: "tool failed" } }));
    conn.close(1000);
    expect((await run.exited).code).toBe(4);
  });

  test("a failed agent and a broken stream: the connection's 3 wins", async () => {
    const api = await fakeApi();
    const run = runCli(["attach", api.url, "--body", bodyFile]);
    const conn = await api.nextConnection();
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "error", error: { code: 500, message: "boom" } }));
    conn.close(1011);
    expect((await run.exited).code).toBe(3);
  });
});
