import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { parseConfigFile } from "../src/cli/config-file.js";
import { ensureBuilt, killRunning, runCli } from "./helpers/cli.js";
import { FakeApi, type ApiConnection } from "./helpers/fake-api.js";
import { FIXTURE_SERVER } from "./helpers/processes.js";

const MCP = "acme/tools/1.0.0/fixture";
const BODY = { agent: { upstream: "mock", turns: [] }, messages: [], client_objectiveai_mcp: { mcps: [MCP] } };
const FIXTURE_ARGS = ["--experimental-strip-types", "--no-warnings", FIXTURE_SERVER];

let root: string;
let api: FakeApi | undefined;

beforeAll(() => {
  ensureBuilt();
  root = mkdtempSync(join(tmpdir(), "conduit-cli-config-"));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(async () => {
  await killRunning();
  await api?.stop();
  api = undefined;
});

/** A fresh directory with body.json and, when given, conduit.config.json. */
function project(config?: unknown): string {
  const dir = mkdtempSync(join(root, "project-"));
  writeFileSync(join(dir, "body.json"), JSON.stringify(BODY));
  if (config !== undefined) writeFileSync(join(dir, "conduit.config.json"), JSON.stringify(config));
  return dir;
}

/** The argv the fixture upstream of `MCP` was started with (after its script). */
async function upstreamArgv(conn: ApiConnection): Promise<string[]> {
  const { sessionId } = await conn.initialize(MCP);
  const answer = await conn.call(MCP, sessionId, "tools/call", { name: "argv", arguments: {} });
  const text = (answer.result as { content: { text: string }[] }).content[0]!.text;
  return (JSON.parse(text) as { argv: string[] }).argv;
}

describe("conduit.config.json", () => {
  test("gives the url, the mcps and the key; stdio upstreams run in the file's directory", async () => {
    api = await FakeApi.start();
    const dir = project({
      url: api.url,
      apiKeyEnv: "MY_CONDUIT_KEY",
      mcps: { [MCP]: { command: process.execPath, args: [...FIXTURE_ARGS, "--from-file"] } },
    });
    const run = runCli(["attach", "--body", "body.json"], { MY_CONDUIT_KEY: "from-env-var" }, dir);
    const conn = await api.nextConnection();
    expect(conn.headers.authorization).toBe("Bearer from-env-var");
    expect(await upstreamArgv(conn)).toEqual(["--from-file"]);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
  });

  test("flags win over the file: --mcp per mcp, --api-key, the <url> argument", async () => {
    api = await FakeApi.start();
    const dir = project({
      url: "ws://127.0.0.1:1/agent/completions",
      apiKey: "from-file",
      mcps: { [MCP]: { command: process.execPath, args: [...FIXTURE_ARGS, "--from-file"] } },
    });
    const flagMcp = `${MCP}=${process.execPath} ${FIXTURE_ARGS.join(" ")} --from-flag`;
    const run = runCli(["attach", api.url, "--body", "body.json", "--mcp", flagMcp, "--api-key", "from-flag"], {}, dir);
    const conn = await api.nextConnection();
    expect(conn.headers.authorization).toBe("Bearer from-flag");
    expect(await upstreamArgv(conn)).toEqual(["--from-flag"]);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
  });

  test("CONDUIT_API_KEY wins over the file's apiKey", async () => {
    api = await FakeApi.start();
    const dir = project({ url: api.url, apiKey: "from-file" });
    const run = runCli(["attach", "--body", "body.json"], { CONDUIT_API_KEY: "from-env" }, dir);
    const conn = await api.nextConnection();
    expect(conn.headers.authorization).toBe("Bearer from-env");
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
  });

  test("--config reads another file; ./conduit.config.json is then not read; --no-json wins over its json", async () => {
    api = await FakeApi.start();
    const dir = project({ url: "ws://127.0.0.1:1/agent/completions" });
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "team.json"), JSON.stringify({ url: api.url, json: true }));
    const run = runCli(["attach", "--body", "body.json", "--config", "conf/team.json", "--quiet"], {}, dir);
    const conn = await api.nextConnection();
    conn.sendChunk({ id: "resp_a", object: "agent.completion.chunk", index: 0, created: 1, finish_reason: "stop" });
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    // json: true from the file: NDJSON on stdout.
    expect(JSON.parse(run.stdout())).toMatchObject({ finish_reason: "stop" });

    const readable = runCli(["attach", "--body", "body.json", "--config", "conf/team.json", "--no-json"], {}, dir);
    const second = await api.nextConnection();
    second.sendChunk({ id: "resp_a", object: "agent.completion.chunk", index: 0, created: 1, finish_reason: "stop" });
    second.close(1000);
    expect((await readable.exited).code).toBe(0);
    expect(readable.stdout()).toBe("[0] ■ finished: stop\n");
  });

  test.each([
    [
      { url: "ftp://example.com" },
      /conduit\.config\.json: field "url": url must be ws:\/\/, wss:\/\/, http:\/\/ or https:\/\//,
    ],
    [{ mcps: { "not a kind": "node x.js" } }, /conduit\.config\.json: field "mcps\.not a kind": invalid mcp kind/],
    [
      { mcps: { objectiveai: { command: "x", argv: [] } } },
      /conduit\.config\.json: field "mcps\.objectiveai": Unrecognized key: "argv"/,
    ],
    [
      { mcps: { objectiveai: 42 } },
      /conduit\.config\.json: field "mcps\.objectiveai": expected a command line or URL string/,
    ],
    [{ upstreamTimeoutMs: 0 }, /conduit\.config\.json: field "upstreamTimeoutMs": /],
    [{ maxUpstream: 3 }, /conduit\.config\.json: .*maxUpstream/],
    [
      { apiKey: "a", apiKeyEnv: "B" },
      /conduit\.config\.json: field "apiKeyEnv": give "apiKey" or "apiKeyEnv", not both/,
    ],
  ])("an invalid file is a usage error (exit 2) naming the file and the field: %j", async (config, message) => {
    const dir = project(config);
    const run = runCli(["attach", "ws://127.0.0.1:1/agent/completions", "--body", "body.json"], {}, dir);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toMatch(message);
  });

  test("a file that is not JSON, a --config that does not exist, no url anywhere: exit 2", async () => {
    const dir = project();
    writeFileSync(join(dir, "conduit.config.json"), "{ url: nope");
    const notJson = runCli(["attach", "--body", "body.json"], {}, dir);
    expect((await notJson.exited).code).toBe(2);
    expect(notJson.stderr()).toContain("conduit.config.json is not valid JSON");

    const missing = runCli(["attach", "--body", "body.json", "--config", "nowhere.json"], {}, project());
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toContain("cannot read nowhere.json");

    const noUrl = runCli(["attach", "--body", "body.json"], {}, project({ json: true }));
    expect((await noUrl.exited).code).toBe(2);
    expect(noUrl.stderr()).toContain('no URL: give it as `conduit attach <url>` or as "url" in conduit.config.json');
  });
});

test("the README's example conduit.config.json is valid", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### `conduit.config.json`"));
  const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  const config = parseConfigFile(JSON.parse(example ?? "null"), "conduit.config.json", "/project");
  expect(Object.keys(config.mcps)).toEqual(["objectiveai", "acme/files/1.0.0/fs", "acme/search/1.0.0/web"]);
  expect(config.mcps["acme/files/1.0.0/fs"]).toEqual({
    kind: "stdio",
    command: "node",
    args: ["./servers/fs.js"],
    env: { ROOT: "." },
    cwd: "/project",
    maxLineBytes: 1_048_576,
  });
  expect(config.mcps["acme/search/1.0.0/web"]).toEqual({
    kind: "http",
    url: "http://127.0.0.1:3001/mcp",
    headers: { "X-Team": "docs" },
    headersTimeoutMs: 60_000,
  });
});

test("an mcp entry carries its upstream's bounds; a bound out of range names its field", () => {
  const config = parseConfigFile(
    {
      mcps: {
        objectiveai: {
          url: "http://127.0.0.1:3001/mcp",
          maxJsonBytes: 1024,
          maxSseEventChars: 2048,
          connectTimeoutMs: 500,
          closeTimeoutMs: 100,
        },
      },
    },
    "conduit.config.json",
    "/project",
  );
  expect(config.mcps.objectiveai).toEqual({
    kind: "http",
    url: "http://127.0.0.1:3001/mcp",
    maxJsonBytes: 1024,
    maxSseEventChars: 2048,
    connectTimeoutMs: 500,
    closeTimeoutMs: 100,
  });
  expect(() =>
    parseConfigFile({ mcps: { objectiveai: { command: "x", maxLineBytes: 0 } } }, "conduit.config.json", "/project"),
  ).toThrow(/conduit\.config\.json: field "mcps\.objectiveai/);
  expect(() =>
    parseConfigFile(
      { mcps: { objectiveai: { url: "http://127.0.0.1:1/mcp", maxLineBytes: 10 } } },
      "conduit.config.json",
      "/project",
    ),
  ).toThrow(/conduit\.config\.json: field "mcps\.objectiveai/);
});
