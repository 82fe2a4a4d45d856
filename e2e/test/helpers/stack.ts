// The real parts of the relay suite: the built API, the built `conduit attach`
// CLI with a mock agent that stays alive, and the upstream MCP servers
// (@modelcontextprotocol/server-everything and the relay probe fixture) over
// stdio or Streamable HTTP.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  isAlive,
  killPid,
  parseJsonObject,
  spawnNode,
  stop,
  waitForLine,
  within,
  type Child,
} from "../../conformance/processes.mjs";
import {
  API_MAIN,
  CLI_MAIN,
  shellQuote,
  spawnAttach,
  startApiProcess,
  type ApiProcess,
} from "../../conformance/tunnel.mjs";

export { API_MAIN, CLI_MAIN };

const require = createRequire(import.meta.url);
const E2E_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const EVERYTHING_MAIN = join(
  dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist",
  "index.js",
);
const EVERYTHING_HTTP = join(E2E_DIR, "fixture", "everything-http.mjs");
export const PROBE = join(E2E_DIR, "fixture", "relay-probe-server.mjs");

/** The mcps every attached CLI declares: server-everything and the probe. */
export const EVERYTHING = "objectiveai";
export const PROBE_MCP = "acme/probe/1.0.0/probe";
/** A well-formed mcp no request declares. */
export const UNDECLARED_MCP = "acme/other/1.0.0/other";

export type UpstreamKind = "stdio" | "http";

export function assertBuilt(): void {
  for (const built of [API_MAIN, CLI_MAIN])
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm turbo build\` first`);
}

export type Api = ApiProcess;

export function startApi(env: Record<string, string> = {}): Promise<Api> {
  return startApiProcess(env);
}

/** An upstream HTTP server started for one describe block (server-everything or the probe). */
export async function startHttpUpstream(which: "everything" | "probe"): Promise<{ child: Child; url: string }> {
  const child =
    which === "everything"
      ? spawnNode("server-everything (http)", [EVERYTHING_HTTP])
      : spawnNode("relay probe (http)", [PROBE, "--http", "0"]);
  const url = await waitForLine(
    child,
    (line) => {
      const record = parseJsonObject(line);
      return record?.msg === "listening" && typeof record.url === "string" ? record.url : undefined;
    },
    "listening line",
  );
  return { child, url };
}

export interface Upstreams {
  everything: string;
  probe: string;
}

/** The --mcp values for stdio upstreams: the attach client spawns one process per session. */
export function stdioUpstreams(): Upstreams {
  const node = shellQuote(process.execPath);
  return {
    everything: `${node} ${shellQuote(EVERYTHING_MAIN)} stdio`,
    probe: `${node} ${shellQuote(PROBE)}`,
  };
}

export interface Cli {
  readonly child: Child;
  /** The response id of each agent of the swarm, by index. */
  readonly responseIds: string[];
  /** Pids of the upstream processes the CLI said it started (stdio). */
  upstreamPids(): number[];
  /** Ends the agents (a notify each), waits for the CLI to exit (bounded), kills leftover upstreams. Idempotent. */
  finish(): Promise<{ exit: Awaited<Child["exited"]>; leftover: number[] }>;
}

/**
 * `conduit attach` with a mock agent swarm of `n` that streams one chunk each
 * (for its response id) and then waits for a notification for 10 minutes.
 */
export async function startCli(api: Api, upstreams: Upstreams, name: string, n = 1): Promise<Cli> {
  const dir = mkdtempSync(join(tmpdir(), "conduit-relay-e2e-"));
  const bodyFile = join(dir, "body.json");
  writeFileSync(
    bodyFile,
    JSON.stringify({
      agent: { upstream: "mock", turns: [{ content: "ready" }, { await_notification: 600_000 }] },
      n,
      client_objectiveai_mcp: { mcps: [EVERYTHING, PROBE_MCP] },
    }),
  );
  const child = spawnAttach(name, {
    port: api.port,
    bodyFile,
    mcps: { [EVERYTHING]: upstreams.everything, [PROBE_MCP]: upstreams.probe },
  });
  const responseIds = await waitForLine(
    child,
    () => {
      const ids: string[] = [];
      for (const line of child.stdout.lines) {
        const chunk = parseJsonObject(line);
        if (typeof chunk?.id === "string" && typeof chunk.index === "number") ids[chunk.index] ??= chunk.id;
      }
      return ids.filter(Boolean).length === n ? ids : undefined;
    },
    `the first chunk of ${n} agent(s)`,
  );
  const upstreamPids = () => {
    const pids = new Set<number>();
    for (const line of child.stderr.lines)
      for (const match of line.matchAll(/, pid (\d+)\) started/g)) pids.add(Number(match[1]));
    return [...pids];
  };
  let finished: ReturnType<Cli["finish"]> | undefined;
  const finish = async () => {
    if (child.exit === undefined) {
      child.proc.stdin.on("error", () => undefined);
      for (let index = 0; index < n; index += 1) child.proc.stdin.write(`#${index} relay suite finished\n`);
    }
    let exit;
    try {
      exit = await within(child.exited, 20_000, `${name} after the final notify`);
    } catch {
      exit = await stop(child);
    }
    const leftover = upstreamPids().filter(isAlive);
    for (const pid of leftover) killPid(pid);
    rmSync(dir, { recursive: true, force: true });
    return { exit, leftover };
  };
  return { child, responseIds, upstreamPids, finish: () => (finished ??= finish()) };
}
