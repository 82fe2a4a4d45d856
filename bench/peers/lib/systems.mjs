// The systems under test. Each `start()` launches its processes on the server CPU and resolves
// with the MCP endpoint, the extra headers an agent sends, and the PIDs whose CPU counts as the
// system's own (a gateway's stdio echo children are never among them).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { URL, fileURLToPath } from "node:url";
import { startProcess, waitForLog } from "./processes.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const ROOT = here("../../../");
const NODE = process.execPath;
const ECHO_STDIO = here("../servers/echo-stdio.mjs");
const ECHO_HTTP = here("../servers/echo-http.mjs");
const FLOOR = here("../servers/floor.mjs");
const LOOPBACK_PRELOAD = here("../servers/loopback-listen.mjs");
export const API_MAIN = join(ROOT, "apps/api/dist/main.js");
export const CLI_MAIN = join(ROOT, "packages/client/dist/cli.js");

/** The `bin` of a devDependency, from its own package.json. */
function binOf(name) {
  const dir = here(`../node_modules/${name}/`);
  const { bin } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return join(dir, typeof bin === "string" ? bin : bin[name]);
}

/** A free loopback port for the peers that cannot bind port 0 and say which port they got. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const listeningPort = (text) => {
  const match = text.match(/^listening (\d+)$/m);
  return match ? Number(match[1]) : undefined;
};

/** Starts one of our own echo servers (floor or SDK) and waits for its port. */
async function startOwnServer(name, script, ctx) {
  const child = startProcess(name, NODE, [script], { logDir: ctx.logDir });
  const port = await waitForLog(child, listeningPort, "listening line");
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

/** The mock agent: one content turn (whose chunk names its response id), then waits, up to an hour. */
const AGENT_BODY = {
  agent: {
    upstream: "mock",
    // await_notification is capped at 600 000 ms per turn: six turns hold the agent for an hour.
    turns: [{ content: "ready" }, ...Array.from({ length: 6 }, () => ({ await_notification: 600_000 }))],
  },
  n: 1,
  max_turns: 8,
  client_objectiveai_mcp: { mcps: ["objectiveai"] },
};

/** The built API and the built CLI attached to it, serving `objectiveai` from `upstream`. */
async function startConduit(name, upstream, ctx) {
  for (const path of [API_MAIN, CLI_MAIN]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm turbo build\` first`);
  }
  const profile = (role) =>
    ctx.cpuProfDir
      ? ["--cpu-prof", `--cpu-prof-dir=${ctx.cpuProfDir}`, `--cpu-prof-name=${name}-${role}.cpuprofile`]
      : [];
  const api = startProcess(`${name}-api`, NODE, [...profile("api"), API_MAIN], {
    logDir: ctx.logDir,
    env: { ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0", LOG_LEVEL: ctx.apiLogLevel },
  });
  const ports = await waitForLog(
    api,
    (text) => {
      for (const line of text.split("\n")) {
        if (!line.includes('"listening"')) continue;
        const entry = JSON.parse(line);
        if (entry.msg === "listening") return { port: entry.port, mcpPort: entry.mcpPort };
      }
      return undefined;
    },
    "`listening` log line",
  );
  const bodyPath = join(ctx.logDir, `${name}-body.json`);
  writeFileSync(bodyPath, JSON.stringify(AGENT_BODY));
  // stdin stays an open pipe: the CLI reads notify lines from it, and EOF is not a reason to stop.
  const cli = startProcess(
    `${name}-cli`,
    NODE,
    [
      ...profile("cli"),
      CLI_MAIN,
      "attach",
      `ws://127.0.0.1:${ports.port}/agent/completions`,
      "--json",
      "--body",
      bodyPath,
      "--mcp",
      `objectiveai=${upstream}`,
      // One upstream process per session: room for every session of the largest cell.
      "--max-upstreams",
      String(ctx.maxSessions + 8),
    ],
    { logDir: ctx.logDir, stdin: "pipe" },
  );
  const responseId = await waitForLog(
    cli,
    (text) => {
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        const chunk = JSON.parse(line);
        if (chunk.object === "agent.completion.chunk" && typeof chunk.id === "string") return chunk.id;
      }
      return undefined;
    },
    "first chunk",
  );
  return {
    url: `http://127.0.0.1:${ports.mcpPort}/objectiveai`,
    headers: { "x-objectiveai-response-id": responseId },
    own: { api: api.pid, cli: cli.pid },
    children: { api, cli },
  };
}

export const SYSTEMS = [
  {
    name: "floor",
    label: "node:http floor",
    async start(ctx) {
      const { child, url } = await startOwnServer("floor", FLOOR, ctx);
      return { url, own: { server: child.pid }, children: { server: child } };
    },
  },
  {
    name: "sdk",
    label: "SDK direct",
    async start(ctx) {
      const { child, url } = await startOwnServer("sdk", ECHO_HTTP, ctx);
      return { url, own: { server: child.pid }, children: { server: child } };
    },
  },
  {
    name: "supergateway",
    label: "supergateway --stateful",
    async start(ctx) {
      const port = await freePort();
      const child = startProcess(
        "supergateway",
        NODE,
        [
          "--import",
          LOOPBACK_PRELOAD,
          binOf("supergateway"),
          "--stdio",
          `${NODE} ${ECHO_STDIO}`,
          "--outputTransport",
          "streamableHttp",
          "--stateful",
          "--port",
          String(port),
        ],
        { logDir: ctx.logDir },
      );
      await waitForLog(
        child,
        (text) => (text.includes(`Listening on port ${port}`) ? true : undefined),
        "listening line",
      );
      return { url: `http://127.0.0.1:${port}/mcp`, own: { server: child.pid }, children: { server: child } };
    },
  },
  {
    name: "mcp-proxy",
    label: "mcp-proxy",
    async start(ctx) {
      const port = await freePort();
      const child = startProcess(
        "mcp-proxy",
        NODE,
        [
          binOf("mcp-proxy"),
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--server",
          "stream",
          "--",
          NODE,
          ECHO_STDIO,
        ],
        { logDir: ctx.logDir },
      );
      await waitForLog(child, (text) => (text.includes("starting server on port") ? true : undefined), "starting line");
      await waitForPort(port, child);
      return { url: `http://127.0.0.1:${port}/mcp`, own: { server: child.pid }, children: { server: child } };
    },
  },
  {
    name: "conduit-stdio",
    label: "Conduit, stdio upstream",
    conduit: true,
    start: (ctx) => startConduit("conduit-stdio", `${NODE} ${ECHO_STDIO}`, ctx),
  },
  {
    name: "conduit-http",
    label: "Conduit, HTTP upstream",
    conduit: true,
    async start(ctx) {
      const upstream = await startOwnServer("conduit-http-upstream", ECHO_HTTP, ctx);
      const conduit = await startConduit("conduit-http", upstream.url, ctx);
      return { ...conduit, children: { ...conduit.children, upstream: upstream.child } };
    },
  },
];

/** Resolves once a TCP connection to 127.0.0.1:port succeeds (mcp-proxy logs before it binds). */
async function waitForPort(port, child, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (child.exit) throw new Error(`${child.name} exited before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: port ${port} not open within ${ms} ms`);
    await sleep(25);
  }
}
