#!/usr/bin/env node
// Conduit beside its peers, in one interleaved run: a raw node:http floor, the MCP SDK's own
// Streamable HTTP server, supergateway --stateful and mcp-proxy (each fronting the same stdio echo
// server), and Conduit — the built API and the built CLI as processes — with a stdio and with an
// HTTP upstream. Per cell (concurrency × session model) every system gets a short window in turn,
// round after round, so the machine's noise falls on all of them alike.
//
//   pnpm bench                                     (from the root: turbo builds first)
//   node bench/peers/run.mjs                       (after `pnpm turbo build`)
//
// Environment (all optional):
//   BENCH_WINDOW_MS   length of one measured window                      (1500)
//   BENCH_ROUNDS      windows per system per cell                          (3)
//   BENCH_WARMUP_MS   unmeasured window per system per cell                (750)
//   BENCH_PREWARM_MS  unmeasured load per system before the first cell, 16 clients on one session (3000)
//   BENCH_CONCURRENCY clients in flight, comma list                        (1,16,64)
//   BENCH_MODES       own (a session per client) and/or shared             (own,shared)
//   BENCH_SYSTEMS     subset of floor,sdk,supergateway,mcp-proxy,conduit-stdio,conduit-http
//   BENCH_CPU_PROF=1  adds --cpu-prof to Conduit's API and CLI; top self-time lists are printed
//   BENCH_API_LOG_LEVEL  LOG_LEVEL of the API                              (info, its default)
//   BENCH_OUT         JSON output     (results/latest.json; results/profile.json with BENCH_CPU_PROF)
//   BENCH_DEADLINE_MS the run fails past this                              (570000)
//   BENCH_KEEP_LOGS=1 keeps the processes' logs (results/logs/…) after a successful run
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import console from "node:console";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { URL, fileURLToPath } from "node:url";
import { BenchFailure, Target, runWindow } from "./lib/loadgen.mjs";
import { childCount, cpuMicros, killAllNow, pinSelf, rssBytes, runningCount, stopAll } from "./lib/processes.mjs";
import { formatTables } from "./lib/report.mjs";
import { SYSTEMS } from "./lib/systems.mjs";
import { formatTop, topSelfTime } from "./profile-top.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const env = process.env;
const num = (name, fallback) => {
  const value = env[name] === undefined || env[name] === "" ? fallback : Number(env[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const list = (name, fallback) =>
  (env[name] || fallback)
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const CPU_PROF = env.BENCH_CPU_PROF === "1";
/** Clients of the pre-warm load (BENCH_PREWARM_MS). */
const PREWARM_CLIENTS = 16;
const config = {
  windowMs: num("BENCH_WINDOW_MS", 1500),
  rounds: num("BENCH_ROUNDS", 3),
  warmupMs: num("BENCH_WARMUP_MS", 750),
  prewarmMs: num("BENCH_PREWARM_MS", 3000),
  concurrency: list("BENCH_CONCURRENCY", "1,16,64").map(Number),
  modes: list("BENCH_MODES", "own,shared"),
  systems: list("BENCH_SYSTEMS", SYSTEMS.map((system) => system.name).join(",")),
  apiLogLevel: env.BENCH_API_LOG_LEVEL || "info",
  cpuProf: CPU_PROF,
  deadlineMs: num("BENCH_DEADLINE_MS", 570_000),
};
const OUT = env.BENCH_OUT || here(CPU_PROF ? "results/profile.json" : "results/latest.json");
for (const mode of config.modes) if (!["own", "shared"].includes(mode)) throw new Error(`unknown mode ${mode}`);
const systems = config.systems.map((name) => {
  const system = SYSTEMS.find((candidate) => candidate.name === name);
  if (!system) throw new Error(`unknown system ${name}`);
  return system;
});

/** Cells in order. With one client, one session per client and one shared session are the same cell. */
const cells = config.concurrency.flatMap((c) =>
  config.modes
    .filter((mode) => !(c === 1 && mode === "shared" && config.modes.includes("own")))
    .map((mode) => ({
      key: `c${c}-${mode}`,
      concurrency: c,
      mode,
      label:
        c === 1
          ? "1 client, its own session"
          : mode === "own"
            ? `${c} clients, a session each`
            : `${c} in flight on one session`,
    })),
);

const runStamp = new Date().toISOString().replace(/[:.]/g, "-");
const logDir = here(`results/logs/${runStamp}`);
const cpuProfDir = CPU_PROF ? here(`results/profiles/${runStamp}`) : undefined;
mkdirSync(logDir, { recursive: true });
if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

const log = (message) => process.stderr.write(`bench: ${message}\n`);
const started = performance.now();
/** Live systems: name → { system, info (from start), target } */
const live = new Map();
let stopping;

/** Stops every process by PID — the CLIs first, so they end their upstreams while the API is up. */
function shutdown() {
  stopping ??= stopAll((child) => child.name.endsWith("-cli"));
  return stopping;
}

let interrupted = false;

async function fail(error) {
  if (interrupted) {
    // A request cut short by the stop is not a result: the signal handler reports and exits.
    await shutdown();
    process.exit(130);
  }
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : `FAILED: ${error.stack ?? error}`);
  await shutdown();
  log(`logs kept in ${logDir}`);
  process.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (stopping) {
      killAllNow();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping ${runningCount()} processes`);
    shutdown().then(() => process.exit(130));
  });
}
process.on("exit", () => killAllNow());
process.on("unhandledRejection", (error) => void fail(error));
const deadline = setTimeout(
  () => void fail(new BenchFailure(`not finished within ${config.deadlineMs} ms (BENCH_DEADLINE_MS)`)),
  config.deadlineMs,
);

// ── warnings in a process's output ──
const offsets = new Map();
/** Counts warnings in what `path` gained since the last call for it. */
function newWarnings(path) {
  const from = offsets.get(path) ?? 0;
  let size;
  try {
    size = statSync(path).size;
  } catch {
    return {};
  }
  offsets.set(path, size);
  const counts = {};
  const add = (kind, n = 1) => (counts[kind] = (counts[kind] ?? 0) + n);
  // Read in slices: an API at LOG_LEVEL=info writes a line per forwarded call.
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(8 << 20);
  let carry = "";
  try {
    for (let at = from; at < size;) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - at), at);
      if (read <= 0) break;
      at += read;
      const text = carry + buffer.toString("utf8", 0, read);
      const cut = text.lastIndexOf("\n");
      carry = cut < 0 ? text : text.slice(cut + 1);
      for (const line of (cut < 0 ? "" : text.slice(0, cut)).split("\n")) countLine(line, add);
    }
    if (carry) countLine(carry, add);
  } finally {
    closeSync(fd);
  }
  return counts;
}

function countLine(line, add) {
  const nodeWarning = line.match(/\(node:\d+\) (?:\[[^\]]+\] )?(\w*Warning)\b/);
  if (nodeWarning) return add(nodeWarning[1]);
  if (line.startsWith("conduit: warn:")) return add("cli warn");
  if (line.startsWith("conduit: error:")) return add("cli error");
  if (line.startsWith("{") && line.includes('"level":')) {
    const level = line.match(/"level":(\d+)/)?.[1];
    if (level === "40") return add("log warn");
    if (level === "50" || level === "60") return add("log error");
  }
}

const merge = (into, counts) => {
  for (const [kind, n] of Object.entries(counts)) into[kind] = (into[kind] ?? 0) + n;
  return into;
};

// ── the run ──
async function main() {
  const pinned = pinSelf();
  log(
    `${systems.length} systems × ${cells.length} cells × ${config.rounds} windows of ${config.windowMs} ms` +
      (pinned ? "; load generator on CPU 0, servers on CPU 1" : "; no CPU pinning (taskset missing or one CPU)"),
  );
  const ctx = {
    logDir,
    cpuProfDir,
    apiLogLevel: config.apiLogLevel,
    maxSessions: Math.max(...config.concurrency),
  };
  const loadavgStart = loadavg();
  const results = {
    date: new Date().toISOString(),
    command: [
      ...Object.entries(env)
        .filter(([name]) => name.startsWith("BENCH_"))
        .map(([name, value]) => `${name}=${value}`),
      "node bench/peers/run.mjs",
    ].join(" "),
    machine: {
      nproc: cpus().length,
      cpuModel: readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown",
      node: process.version,
      kernel: release(),
      cpuPinning: pinned,
      loadavgStart,
    },
    config,
    versions: versions(),
    systems: {},
    cells: [],
  };

  for (const system of systems) {
    const t0 = performance.now();
    const info = await system.start(ctx);
    live.set(system.name, { system, info });
    results.systems[system.name] = {
      label: system.label,
      conduit: Boolean(system.conduit),
      pids: info.own,
      rss: Object.fromEntries(Object.entries(info.own).map(([role, pid]) => [role, { start: rssBytes(pid) }])),
      warnings: Object.fromEntries(Object.keys(info.own).map((role) => [role, {}])),
    };
    for (const child of Object.values(info.children)) newWarnings(child.logPath);
    log(`started ${system.name} (${(performance.now() - t0).toFixed(0)} ms): ${info.url}`);
  }

  // Every system first runs the same unmeasured load, so the first cell does not measure a cold JIT.
  if (config.prewarmMs > 0) {
    for (const [name, { info }] of live) {
      const target = new Target({ name, url: info.url, headers: info.headers, connections: PREWARM_CLIENTS });
      const session = await target.openSession();
      await runWindow(
        target,
        Array.from({ length: PREWARM_CLIENTS }, () => session),
        config.prewarmMs,
        [],
      ).catch(rethrow(name));
      await target.closeSession(session);
      await target.close();
    }
    log(`pre-warmed every system for ${config.prewarmMs} ms`);
  }

  for (const [cellIndex, cell] of cells.entries()) {
    const c = cell.concurrency;
    const t0 = performance.now();
    const state = new Map();
    for (const [name, { info }] of live) {
      const target = new Target({ name, url: info.url, headers: info.headers, connections: c });
      const unique =
        cell.mode === "shared" ? [await target.openSession()] : await inBatches(c, 16, () => target.openSession());
      const sessions = cell.mode === "shared" ? Array.from({ length: c }, () => unique[0]) : unique;
      state.set(name, { target, unique, sessions, latencies: [], windows: [], cpu: {}, calls: 0, ms: 0 });
    }
    const setupMs = performance.now() - t0;
    for (const [name, entry] of state)
      await runWindow(entry.target, entry.sessions, config.warmupMs, []).catch(rethrow(name));

    const loadgenCpu0 = process.cpuUsage();
    for (let round = 0; round < config.rounds; round++) {
      const order = rotate([...state.keys()], round + cellIndex);
      for (const name of order) {
        const entry = state.get(name);
        const own = live.get(name).info.own;
        const before = Object.fromEntries(Object.entries(own).map(([role, pid]) => [role, cpuMicros(pid)]));
        const window = await runWindow(entry.target, entry.sessions, config.windowMs, entry.latencies).catch(
          rethrow(name),
        );
        for (const [role, pid] of Object.entries(own)) {
          entry.cpu[role] = (entry.cpu[role] ?? 0) + (cpuMicros(pid) - before[role]);
        }
        entry.windows.push({
          calls: window.calls,
          ms: Math.round(window.ms),
          reqPerSec: Math.round((window.calls * 1000) / window.ms),
          rss: Object.fromEntries(Object.entries(own).map(([role, pid]) => [role, rssBytes(pid)])),
          ...(CPU_PROF ? { monotonicUs: window.monotonicUs } : {}),
        });
        entry.calls += window.calls;
        entry.ms += window.ms;
      }
    }
    const loadgenCpu = process.cpuUsage(loadgenCpu0);

    const cellResult = { ...cell, setupMs: Math.round(setupMs), results: {} };
    let totalCalls = 0;
    for (const [name, entry] of state) {
      const { info } = live.get(name);
      const sorted = Float64Array.from(entry.latencies).sort();
      const cpuTotal = Object.values(entry.cpu).reduce((sum, us) => sum + us, 0);
      const perCall = Object.fromEntries(Object.entries(entry.cpu).map(([role, us]) => [role, us / entry.calls]));
      totalCalls += entry.calls;
      cellResult.results[name] = {
        calls: entry.calls,
        reqPerSec: (entry.calls * 1000) / entry.ms,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        windows: entry.windows,
        cpuUsPerCall: { total: cpuTotal / entry.calls, ...(Object.keys(perCall).length > 1 ? perCall : {}) },
        rssEnd: Object.fromEntries(Object.entries(info.own).map(([role, pid]) => [role, rssBytes(pid)])),
        descendants: Object.fromEntries(Object.entries(info.own).map(([role, pid]) => [role, childCount(pid)])),
      };
    }
    cellResult.loadgenCpuUsPerCall = (loadgenCpu.user + loadgenCpu.system) / totalCalls;

    // End the sessions (a gateway's per-session upstream goes with it), then count warnings.
    for (const [name, entry] of state) {
      const statuses = await inBatches(entry.unique.length, 16, (i) => entry.target.closeSession(entry.unique[i]));
      const bad = statuses.filter((status) => status < 200 || status >= 300);
      if (bad.length > 0) cellResult.results[name].deleteStatuses = bad;
      await entry.target.close();
      const { info } = live.get(name);
      const found = {};
      for (const [role, child] of Object.entries(info.children)) {
        const counts = newWarnings(child.logPath);
        if (Object.keys(counts).length === 0) continue;
        found[role] = counts;
        const byRole = results.systems[name].warnings;
        byRole[role] = merge(byRole[role] ?? {}, counts);
      }
      if (Object.keys(found).length > 0) cellResult.results[name].warnings = found;
    }
    const sdk = cellResult.results.sdk;
    if (sdk) {
      for (const result of Object.values(cellResult.results)) {
        result.ratioVsSdk = { reqPerSec: result.reqPerSec / sdk.reqPerSec, p50: result.p50Ms / sdk.p50Ms };
      }
    }
    results.cells.push(cellResult);
    log(
      `${cell.label}: ` +
        [...state.keys()].map((name) => `${name} ${Math.round(cellResult.results[name].reqPerSec)}/s`).join(", ") +
        ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }

  for (const [name, { info }] of live) {
    for (const [role, pid] of Object.entries(info.own)) results.systems[name].rss[role].end = rssBytes(pid);
  }
  results.machine.loadavgEnd = loadavg();
  await shutdown();
  const exits = {};
  for (const [name, { info }] of live) {
    for (const [role, child] of Object.entries(info.children)) {
      exits[`${name}/${role}`] = child.exit;
      // What a process prints while being stopped (e.g. the CLI's "closed by client") is kept apart.
      const counts = newWarnings(child.logPath);
      if (info.own[role] !== undefined && Object.keys(counts).length > 0) {
        const system = results.systems[name];
        system.shutdownWarnings = { ...system.shutdownWarnings, [role]: counts };
      }
    }
  }
  results.exits = exits;
  results.durationS = Math.round((performance.now() - started) / 100) / 10;
  clearTimeout(deadline);

  if (cpuProfDir) {
    results.profiles = {};
    for (const file of readdirSync(cpuProfDir)
      .filter((name) => name.endsWith(".cpuprofile"))
      .sort()) {
      // Only the samples taken during that system's measured windows (not start-up, set-up, warm-up).
      const system = file.replace(/-(api|cli)\.cpuprofile$/, "");
      const intervals = results.cells.flatMap((cell) => cell.results[system]?.windows.map((w) => w.monotonicUs) ?? []);
      const top = topSelfTime(join(cpuProfDir, file), 10, intervals);
      results.profiles[file] = top;
      console.log(`${formatTop(top)}\n`);
    }
    log(`profiles in ${cpuProfDir}`);
  }
  mkdirSync(here("results"), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTables(results));
  console.log(
    `\n${results.date} · ${results.machine.nproc} × ${results.machine.cpuModel} · node ${results.machine.node}` +
      ` · load average ${loadavgStart.map((v) => v.toFixed(2)).join(" ")} → ${results.machine.loadavgEnd.map((v) => v.toFixed(2)).join(" ")}` +
      ` · ${results.durationS} s · ${OUT}`,
  );
  if (env.BENCH_KEEP_LOGS !== "1") rmSync(logDir, { recursive: true, force: true });
  else log(`logs kept in ${logDir}`);
}

function rethrow(name) {
  return (error) => {
    throw error instanceof BenchFailure ? error : new BenchFailure(`${name}: ${error.message}`);
  };
}

/** Runs task(i) for i < n, at most `width` at a time; resolves with the results in order. */
async function inBatches(n, width, task) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

function rotate(items, by) {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function versions() {
  const read = (path) => JSON.parse(readFileSync(here(path), "utf8")).version;
  return {
    supergateway: read("node_modules/supergateway/package.json"),
    "mcp-proxy": read("node_modules/mcp-proxy/package.json"),
    "@modelcontextprotocol/sdk": read("node_modules/@modelcontextprotocol/sdk/package.json"),
    undici: read("node_modules/undici/package.json"),
    conduit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: here("."), encoding: "utf8" }).trim(),
  };
}

main().catch(fail);
