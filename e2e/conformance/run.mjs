#!/usr/bin/env node
// Runs the official MCP conformance suite (server scenarios, suite `all`) twice:
//   direct — against the fixture MCP server over Streamable HTTP;
//   tunnel — against the built API's loopback MCP listener, whose requests
//            travel over the WebSocket to the built `conduit attach` CLI,
//            which answers them from the same fixture over stdio.
// Prints `scenario | direct | tunnel` and `direct N/M, tunnel N/M`, and writes
// the results as JSON (default e2e/.test-results/conformance.json).
//
//   node e2e/conformance/run.mjs [--out <file>] [--only direct|tunnel]
//
// Exit 0 when both runs completed (whatever their verdicts: the vitest test
// judges them), 1 when the harness itself failed, 130 on SIGINT/SIGTERM.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";
import { parseArgs } from "node:util";
import { startHeaderProxy } from "./header-proxy.mjs";
import { isAlive, parseJsonObject, spawnNode, stop, stopAll, waitForLine, within } from "./processes.mjs";
import { CONFORMANCE_VERSION, listServerScenarios, runSuite } from "./suite.mjs";
import { formatTable } from "./table.mjs";
import { API_MAIN, CLI_MAIN, shellQuote, spawnAttach, startApiProcess } from "./tunnel.mjs";

const E2E_DIR = fileURLToPath(new URL("..", import.meta.url));
const FIXTURE = join(E2E_DIR, "fixture", "conformance-server.mjs");

/** Bounds, not synchronisation: each wait ends as soon as its condition holds. */
const STARTUP_MS = 30_000;
const SUITE_MS = 300_000;
const CLI_EXIT_MS = 20_000;

const log = (message) => process.stderr.write(`[conformance] ${message}\n`);

async function runDirect() {
  const fixture = spawnNode("fixture (http)", [FIXTURE, "--http", "0"]);
  try {
    const url = await waitForLine(
      fixture,
      (line) => {
        const record = parseJsonObject(line);
        return record?.msg === "listening" ? record.url : undefined;
      },
      "listening line",
      STARTUP_MS,
    );
    log(`direct: fixture at ${url}`);
    return await runSuite(url, {
      label: "direct",
      timeoutMs: SUITE_MS,
      onScenario: (name) => log(`direct: ${name}`),
    });
  } finally {
    await stop(fixture);
  }
}

async function runTunnel(workDir) {
  const details = {};
  let api;
  let cli;
  let proxy;
  const pidFile = join(workDir, "upstream-pids");
  try {
    const started = await startApiProcess({}, STARTUP_MS);
    api = started.child;
    const { port, mcpPort } = started;
    log(`tunnel: API on 127.0.0.1:${port}, MCP listener on 127.0.0.1:${mcpPort}`);

    // One mock agent that streams one chunk (for its response id), then waits
    // for a notification for up to 10 minutes: its id stays registered, and
    // the tunnel open, for the whole suite.
    const bodyFile = join(workDir, "body.json");
    writeFileSync(
      bodyFile,
      JSON.stringify({
        agent: { upstream: "mock", turns: [{ content: "conformance run" }, { await_notification: 600_000 }] },
        client_objectiveai_mcp: { mcps: ["objectiveai"] },
      }),
    );
    cli = spawnAttach("conduit attach", {
      port,
      bodyFile,
      mcps: { objectiveai: `${shellQuote(process.execPath)} ${shellQuote(FIXTURE)}` },
      env: { CONDUIT_E2E_PID_FILE: pidFile },
    });
    const responseId = await waitForLine(
      cli,
      (line) => {
        const chunk = parseJsonObject(line);
        return typeof chunk?.id === "string" ? chunk.id : undefined;
      },
      "first chunk",
      STARTUP_MS,
    );
    proxy = await startHeaderProxy({ targetPort: mcpPort, headers: { "X-OBJECTIVEAI-RESPONSE-ID": responseId } });
    const url = `http://127.0.0.1:${proxy.port}/objectiveai`;
    log(`tunnel: agent ${responseId.slice(0, 12)}…, suite → header proxy ${url} → MCP listener`);

    const result = await runSuite(url, {
      label: "tunnel",
      timeoutMs: SUITE_MS,
      onScenario: (name) => log(`tunnel: ${name}`),
    });

    // End the run the normal way: notify the agent, it finishes, the API
    // closes the socket with 1000 and the CLI exits 0 once its upstreams are down.
    cli.proc.stdin.write("#0 conformance run finished\n");
    try {
      details.cliExit = await within(cli.exited, CLI_EXIT_MS, "conduit attach after the final notify");
    } catch {
      details.cliExit = { ...(await stop(cli)), stoppedByHarness: true };
    }
    details.proxyRequests = proxy.stats.requests;
    return { ...result, details };
  } finally {
    await proxy?.close();
    if (cli) await stop(cli);
    if (api) details.apiExit = await stop(api);
    // Every upstream the CLI started must be gone now; end any that is not.
    const pids = existsSync(pidFile) ? readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : [];
    details.upstreamProcesses = pids.length;
    details.leftoverProcesses = pids.filter(isAlive);
    for (const pid of details.leftoverProcesses) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
}

function summarise(run) {
  if (!run) return undefined;
  return {
    passed: run.scenarios.filter((scenario) => scenario.pass).length,
    total: run.scenarios.length,
    ms: run.ms,
    exit: run.exit,
    ...run.details,
  };
}

async function main() {
  const { values } = parseArgs({
    options: { out: { type: "string" }, only: { type: "string" } },
  });
  if (values.only !== undefined && values.only !== "direct" && values.only !== "tunnel")
    throw new Error(`--only must be direct or tunnel, not ${JSON.stringify(values.only)}`);
  const out = resolve(values.out ?? join(E2E_DIR, ".test-results", "conformance.json"));
  for (const built of [API_MAIN, CLI_MAIN])
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm turbo build\` first`);

  const started = performance.now();
  const workDir = mkdtempSync(join(tmpdir(), "conduit-e2e-"));
  const report = {
    conformance: CONFORMANCE_VERSION,
    suite: "all",
    node: process.version,
    startedAt: new Date().toISOString(),
  };
  let revisions = new Map();
  let direct;
  let tunnel;
  try {
    revisions = await listServerScenarios();
    if (values.only !== "tunnel") direct = await runDirect();
    if (values.only !== "direct") tunnel = await runTunnel(workDir);
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }

  const names = [...new Set([...(direct?.scenarios ?? []), ...(tunnel?.scenarios ?? [])].map((s) => s.scenario))];
  const verdict = (run, name) => run?.scenarios.find((scenario) => scenario.scenario === name);
  Object.assign(report, {
    durationMs: Math.round(performance.now() - started),
    direct: summarise(direct),
    tunnel: summarise(tunnel),
    scenarios: names.map((name) => ({
      scenario: name,
      revisions: revisions.get(name) ?? [],
      direct: verdict(direct, name),
      tunnel: verdict(tunnel, name),
    })),
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(`${formatTable(report)}\n`);
  log(`results written to ${out} (${(report.durationMs / 1000).toFixed(1)} s)`);
  if (report.error) {
    log(`harness error: ${report.error}`);
    return 1;
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    log(`${signal}: stopping every process`);
    void stopAll().finally(() => process.exit(130));
  });
}

process.exitCode = await main().catch(async (error) => {
  log(`harness error: ${error?.stack ?? error}`);
  await stopAll();
  return 1;
});
