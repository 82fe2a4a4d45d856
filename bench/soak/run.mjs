#!/usr/bin/env node
// pnpm soak [--duration <minutes>] [--out <dir>] — load-correctness soak of the
// BUILT API and CLIs (run `pnpm turbo build` first). See README.md.
//
// It starts `node apps/api/dist/main.js` (loopback, ephemeral ports) and
// several `conduit attach … --json` CLIs, each with a mock swarm that stays
// alive and this directory's stdio fixture as its `objectiveai` upstream. Each
// agent gets an MCP SDK Client here (Streamable HTTP to the loopback listener,
// X-OBJECTIVEAI-RESPONSE-ID set) running a mix of calls whose every answer is
// checked; notifies go to the CLIs' stdin; CLIs and sessions are churned.
// It exits non-zero on any lost or crossed answer, any unexpected error, a
// crash, or memory growth past the stated bounds.
import console from "node:console";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AgentSession, LOST_MS, MIX } from "./lib/agent.mjs";
import { renderChart } from "./lib/chart.mjs";
import {
  alive,
  gate,
  killPid,
  rssOf,
  scrapeMetrics,
  startApi,
  startCli,
  started,
  stopChild,
  waitExit,
} from "./lib/procs.mjs";
import { Stats } from "./lib/stats.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const API_MAIN = join(ROOT, "apps/api/dist/main.js");
const CLI_MAIN = join(ROOT, "packages/client/dist/cli.js");
const FIXTURE = join(HERE, "fixture-server.mjs");
const GC_PRELOAD = join(HERE, "gc-on-signal.cjs");

// ───────────────────────────── options ─────────────────────────────
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    duration: { type: "string", default: "10" },
    out: { type: "string", default: join(HERE, "results") },
    clis: { type: "string", default: "4" },
    agents: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    interval: { type: "string", default: "15" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`pnpm soak [--duration <minutes>=10] [--out <dir>=bench/soak/results] [--clis <n>=4]
          [--agents <per CLI>=2] [--workers <per agent session>=2] [--interval <print s>=15]`);
  process.exit(0);
}
const num = (name, min) => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < min) {
    console.error(`soak: --${name} must be a number >= ${min}`);
    process.exit(2);
  }
  return value;
};
const DURATION_MS = num("duration", 0.5) * 60_000;
const CLIS = Math.floor(num("clis", 2));
const AGENTS = Math.floor(num("agents", 1));
const WORKERS = Math.floor(num("workers", 1));
const INTERVAL_MS = num("interval", 1) * 1000;
const OUT = resolve(process.cwd(), args.out);
/** Output files: <out>/soak-<minutes>min.json (summary + timeline) and .svg (chart). */
const RUN_NAME = `soak-${args.duration}min`;

/** Memory samples; every LIVE_EVERY-th one first has the API run a full GC (SIGUSR2), giving its live heap. */
const SAMPLE_MS = 2_000;
const LIVE_EVERY = 5;
/** Warm-up (a quarter of the run): memory is compared from its end on. */
const WARMUP_MS = DURATION_MS * 0.25;
/** The two windows compared for growth: right after warm-up, and the last one before shutdown. */
const WINDOW_MS = Math.min(60_000, DURATION_MS * 0.15);
/** Growth bounds (end window vs the window right after warm-up). */
const BOUNDS = {
  apiHeap: { pct: 25, mib: 32 },
  apiRss: { pct: 25, mib: 32 },
  cliRss: { pct: 25, mib: 32 },
};
/** One CLI (slot 1 onwards, round robin) is replaced every CHURN_MS; every other one hard (calls in flight). */
const CHURN_MS = 20_000;
/** One agent session is closed (DELETE) and reopened every SESSION_CHURN_MS. */
const SESSION_CHURN_MS = 4_000;
/** Each CLI gets a notify line every NOTIFY_MS; a notify must come back as its chunk within NOTIFY_GRACE_MS. */
const NOTIFY_MS = 1_500;
const NOTIFY_GRACE_MS = 15_000;
/** Pause of a worker between two operations (ms, random in range). */
const PAUSE_MS = [20, 120];
/** The mock swarm: "ready", then waits for notifies (each delivered notify moves to the next wait). */
const AWAIT_TURNS = 998;
const MAX_NOTIFIES_PER_AGENT = AWAIT_TURNS - 50;
/** The whole soak is bounded: past this, everything is stopped and it fails. */
const HARD_LIMIT_MS = DURATION_MS + 5 * 60_000;

for (const [path, what] of [
  [API_MAIN, "the API"],
  [CLI_MAIN, "the CLI"],
]) {
  if (!existsSync(path)) {
    console.error(`soak: ${what} is not built (${path}); run \`npx -y pnpm@10.34.9 turbo build\` first`);
    process.exit(2);
  }
}
mkdirSync(OUT, { recursive: true });
const TMP = mkdtempSync(join(tmpdir(), "conduit-soak-"));

// ───────────────────────────── state ─────────────────────────────
const stats = new Stats();
const t0 = performance.now();
const elapsed = () => performance.now() - t0;
let stopping = false;
/** Aborted when the duration is reached: the loops' waits end at once. */
const stopAc = new AbortController();
const pause = (ms) => delay(ms, undefined, { signal: stopAc.signal }).catch(() => undefined);
/** CLI churn and session churn take turns, so a session is never reopened on a CLI being replaced. */
let churnLock = Promise.resolve();
function exclusive(fn) {
  const run = churnLock.then(fn);
  churnLock = run.catch(() => undefined);
  return run;
}
let aborted = false;
let api;
let apiExit;
const apiLog = [];
const slots = [];
const timeline = [];
let sessionSerial = 0;
const upstreamPids = new Set();
const abortWarnings = { count: 0 };

// The SDK transport passes one AbortSignal to every fetch; undici adds a listener per request and
// removes it only at GC, so a busy client crosses the 1500-listener warning. Counted, not printed.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === "MaxListenersExceededWarning") abortWarnings.count++;
  else console.error(warning);
});

const log = (line) => console.log(`[${(elapsed() / 1000).toFixed(0).padStart(4)}s] ${line}`);
const mib = (bytes) => (bytes === undefined ? "—" : `${(bytes / 1024 / 1024).toFixed(1)}`);

// ───────────────────────────── CLIs ─────────────────────────────
class CliSlot {
  constructor(slot) {
    this.slot = slot;
    this.generation = 0;
    this.stable = slot === 0;
    this.rssPeak = 0;
  }

  /** Starts a fresh CLI in this slot and opens one agent session per agent. */
  async start() {
    this.generation++;
    this.doomed = false;
    this.draining = false;
    this.ready = false;
    this.ids = new Array(AGENTS);
    this.sessions = new Array(AGENTS);
    this.notifies = new Map();
    this.notifySeq = 0;
    this.notifiesPerAgent = new Array(AGENTS).fill(0);
    this.stderrTail = [];
    this.expectedExit = false;
    this.pidFile = join(TMP, `upstreams-${this.slot}-${this.generation}.pids`);
    writeFileSync(this.pidFile, "");
    const bodyFile = join(TMP, `body-${this.slot}.json`);
    writeFileSync(
      bodyFile,
      JSON.stringify({
        agent: {
          upstream: "mock",
          turns: [
            { content: "ready" },
            ...Array.from({ length: AWAIT_TURNS }, () => ({ await_notification: 600_000 })),
          ],
        },
        n: AGENTS,
        max_turns: AWAIT_TURNS + 1,
        client_objectiveai_mcp: { mcps: ["objectiveai"], arguments: { objectiveai: {} } },
      }),
    );
    let announce;
    const ready = new Promise((resolve) => (announce = resolve));
    const generation = this.generation;
    this.child = startCli({
      cliPath: CLI_MAIN,
      url: `ws://127.0.0.1:${api.port}/agent/completions`,
      bodyFile,
      mcpSpec: `'${process.execPath}' '${FIXTURE}'`,
      env: { SOAK_PID_FILE: this.pidFile },
      label: `cli ${this.slot}.${this.generation}`,
      onChunk: (chunk) => this.#chunk(chunk, announce),
      onStderr: (line) => this.#stderr(line),
      onExit: (code, signal) => {
        if (generation !== this.generation || this.expectedExit || stopping) return;
        stats.fail("cli_exit", { slot: this.slot, code, signal, stderr: this.stderrTail.slice(-5) });
      },
    });
    const timeout = delay(30_000).then(() => "timeout");
    if ((await Promise.race([ready, timeout])) === "timeout") {
      throw new Error(`CLI ${this.slot}.${this.generation} announced no response ids within 30 s`);
    }
    this.ready = true;
    for (let index = 0; index < AGENTS; index++) await this.openSession(index);
    stats.count("CLIs started");
  }

  #chunk(chunk, announce) {
    if (typeof chunk.index !== "number" || typeof chunk.id !== "string") return;
    if (this.ids[chunk.index] === undefined) {
      this.ids[chunk.index] = chunk.id;
      if (this.ids.filter(Boolean).length === AGENTS) announce();
    } else if (this.ids[chunk.index] !== chunk.id) {
      stats.fail("crossed", { what: "chunk id", slot: this.slot, index: chunk.index });
    }
    if (chunk.notification) this.#notificationChunk(chunk);
    if (chunk.finish_reason && !this.doomed && !this.draining && !stopping) {
      stats.fail("agent_finished", {
        slot: this.slot,
        index: chunk.index,
        finish_reason: chunk.finish_reason,
        error: chunk.error,
      });
    }
  }

  #notificationChunk(chunk) {
    const content = chunk.notification.content;
    const pending = this.notifies.get(content);
    if (pending === undefined) {
      stats.fail(/^n\//.test(content) ? "crossed" : "wrong", {
        what: "notification chunk",
        slot: this.slot,
        index: chunk.index,
        content: String(content).slice(0, 80),
      });
      return;
    }
    this.notifies.delete(content);
    if (pending.index !== chunk.index) {
      stats.fail("crossed", { what: "notification", slot: this.slot, sent_to: pending.index, got_by: chunk.index });
      return;
    }
    stats.ok("notify", performance.now() - pending.at);
  }

  #stderr(line) {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
    const failed = /notify to \S+ failed(?: \((-?\d+)\))?|ignored notify line/.exec(line);
    if (failed) {
      const expected = this.doomed || this.draining || stopping;
      stats.error("notify", `notify ${failed[1] ?? "?"}`, expected);
      if (!expected) stats.fail("unexpected_error", { kind: "notify", slot: this.slot, line: line.slice(0, 200) });
    }
  }

  async openSession(index) {
    const session = new AgentSession({
      cli: this,
      index,
      responseId: this.ids[index],
      mcpUrl: `http://127.0.0.1:${api.mcpPort}`,
      stats,
      serial: ++sessionSerial,
    });
    this.sessions[index] = session;
    try {
      await session.open();
    } catch (error) {
      if (!this.doomed && !stopping) {
        stats.fail("unexpected_error", { kind: "initialize", at: session.tag, message: String(error?.message) });
      }
      session.closing = true;
      return;
    }
    stats.count("agent sessions opened");
    session.startWorkers(WORKERS, () => stopping || this.draining, PAUSE_MS);
  }

  /** One notify line on the CLI's stdin, `#<index> <content>`. */
  notify() {
    if (!this.ready || this.doomed || this.draining || stopping || this.child.exitCode !== null) return;
    const index = Math.floor(Math.random() * AGENTS);
    if (this.notifiesPerAgent[index] >= MAX_NOTIFIES_PER_AGENT) return;
    this.notifiesPerAgent[index]++;
    const content = `n/${this.slot}.${this.generation}/${++this.notifySeq}`;
    this.notifies.set(content, { index, at: performance.now() });
    this.child.stdin.write(`#${index} ${content}\n`);
    stats.count("notify lines written");
  }

  /** Notifies not back in time are lost (only while the CLI is not being killed). */
  checkNotifies() {
    const now = performance.now();
    for (const [content, pending] of this.notifies) {
      if (now - pending.at < NOTIFY_GRACE_MS) continue;
      this.notifies.delete(content);
      if (this.doomed) stats.count("notifies abandoned (CLI killed)");
      else stats.fail("lost", { kind: "notify", slot: this.slot, content });
    }
  }

  /**
   * Replaces this CLI. Graceful: workers finish, sessions are DELETEd, notifies
   * come back, then SIGTERM. Hard: SIGTERM with calls in flight (their errors are expected).
   */
  async churn(hard) {
    if (hard) {
      this.doomed = true;
    } else {
      this.draining = true;
      await Promise.all(this.sessions.filter(Boolean).map((s) => s.drain()));
      const until = performance.now() + NOTIFY_GRACE_MS;
      while (this.notifies.size > 0 && performance.now() < until) await delay(50);
      this.checkNotifies();
      await Promise.all(this.sessions.filter(Boolean).map((s) => s.close({ terminate: true })));
      this.doomed = true;
    }
    await this.stop();
    if (hard) await Promise.all(this.sessions.filter(Boolean).map((s) => s.close({ terminate: false })));
    this.notifies.clear();
    stats.count(hard ? "CLIs killed with calls in flight" : "CLIs stopped after draining");
  }

  /** SIGTERM the CLI, check it exits 130 and that every upstream it started is gone. */
  async stop() {
    this.expectedExit = true;
    const exit = await stopChild(this.child, 15_000);
    if (exit.code !== 130) stats.fail("cli_exit", { slot: this.slot, ...exit, stderr: this.stderrTail.slice(-5) });
    const pids = readFileSync(this.pidFile, "utf8").split("\n").filter(Boolean).map(Number);
    for (const pid of pids) upstreamPids.add(pid);
    const until = performance.now() + 5_000;
    let left = pids.filter(alive);
    while (left.length > 0 && performance.now() < until) {
      await delay(50);
      left = left.filter(alive);
    }
    if (left.length > 0) {
      stats.fail("upstream_left_running", { slot: this.slot, pids: left });
      for (const pid of left) killPid(pid);
    }
    stats.count("upstream processes started", pids.length);
  }

  livePids() {
    try {
      return readFileSync(this.pidFile, "utf8").split("\n").filter(Boolean).map(Number).filter(alive);
    } catch {
      return [];
    }
  }
}

// ───────────────────────────── loops ─────────────────────────────
async function every(ms, fn) {
  while (!stopping) {
    await pause(ms);
    if (stopping) return;
    try {
      await fn();
    } catch (error) {
      if (!stopping) stats.fail("soak_internal", { message: String(error?.stack ?? error).slice(0, 400) });
    }
  }
}

async function churnLoop() {
  let next = 0;
  let hard = false;
  await every(CHURN_MS, async () => {
    if (CLIS < 2) return;
    const slot = slots[1 + (next++ % (CLIS - 1))];
    const mode = hard;
    hard = !hard;
    await exclusive(async () => {
      await slot.churn(mode);
      if (!stopping) await slot.start();
    });
  });
}

async function sessionChurnLoop() {
  await every(SESSION_CHURN_MS, () =>
    exclusive(async () => {
      const candidates = slots
        .filter((s) => !s.doomed && !s.draining)
        .flatMap((s) => s.sessions.filter((session) => session && !session.closing));
      const session = candidates[Math.floor(Math.random() * candidates.length)];
      if (session === undefined || stopping) return;
      await session.close({ terminate: true });
      if (session.cli.doomed || session.cli.draining || stopping) return;
      stats.count("agent sessions reopened");
      await session.cli.openSession(session.index);
    }),
  );
}

async function notifyLoop() {
  await every(NOTIFY_MS, () => {
    for (const slot of slots) {
      slot.notify();
      slot.checkNotifies();
    }
  });
}

/** One sample of memory and the API's gauges; with `live`, after a full GC of the API. */
let samples = 0;
async function sample(live = ++samples % LIVE_EVERY === 0) {
  const point = { t: elapsed() / 1000 };
  try {
    if (live) {
      api.child.kill("SIGUSR2");
      await delay(300);
    }
    const m = await scrapeMetrics(`http://127.0.0.1:${api.port}/metrics`);
    point.apiRss = m.process_resident_memory_bytes;
    point.apiHeap = m.nodejs_heap_size_used_bytes;
    if (live) {
      point.apiLiveHeap = m.nodejs_heap_size_used_bytes;
      // Which V8 space holds it (old objects vs JIT code…), to tell a leak from caches warming up.
      point.apiHeapSpaces = Object.fromEntries(
        Object.entries(m)
          .filter(([key]) => key.startsWith('nodejs_heap_space_size_used_bytes{space="'))
          .map(([key, value]) => [/space="([^"]+)"/.exec(key)[1], value]),
      );
    }
    point.gauges = {
      sockets: m.conduit_open_sockets,
      ids: m.conduit_registered_ids,
      pending: m.conduit_pending_requests,
      sse: m.conduit_sse_subscribers,
      agents: m.conduit_agents_running,
    };
  } catch (error) {
    if (!stopping) stats.fail("metrics_unreadable", { message: String(error?.message) });
  }
  point.cliRss = {};
  for (const slot of slots) {
    const rss = slot.child ? rssOf(slot.child.pid) : undefined;
    if (rss !== undefined) {
      point.cliRss[`${slot.slot}.${slot.generation}`] = rss;
      slot.rssPeak = Math.max(slot.rssPeak, rss);
    }
  }
  point.stableCliRss = slots[0]?.child ? rssOf(slots[0].child.pid) : undefined;
  const pids = slots.flatMap((s) => s.livePids());
  point.upstreams = pids.length;
  point.upstreamsRss = pids.reduce((sum, pid) => sum + (rssOf(pid) ?? 0), 0);
  const window = stats.takeWindow();
  point.window = window;
  point.calls = stats.totalCalls();
  point.failures = stats.failed;
  timeline.push(point);
  return point;
}

function printStatus(point) {
  const kinds = [...stats.calls].map(
    ([k, v]) => `${k} ${v.ok}${v.error ? `/${v.error}e` : ""}${v.cancelled ? `/${v.cancelled}c` : ""}`,
  );
  const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "—");
  const errors = [...stats.errors].map(([c, n]) => `${c}×${n}`).join(" ") || "none";
  log(
    `calls ${stats.totalCalls()} [${kinds.join(", ")}] | errors ${errors} | last 10 s p50 ${ms(point.window.p50)} p99 ${ms(point.window.p99)} ms` +
      ` | API rss ${mib(point.apiRss)} heap ${mib(point.apiHeap)} MiB | CLI rss ${Object.values(point.cliRss).map(mib).join("/")} MiB` +
      ` | upstreams ${point.upstreams} | failures ${stats.failed}`,
  );
}

// ───────────────────────────── growth ─────────────────────────────
const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

/**
 * Growth of a series from the window right after warm-up to the last window, each the median
 * of its samples. The API heap is its live heap (sampled after a full GC), not V8's sawtooth.
 */
function growth(name, read, bound, windows) {
  const [[b0, b1], [e0, e1]] = windows;
  const base = median(timeline.filter((p) => p.t >= b0 && p.t <= b1).map(read));
  const end = median(timeline.filter((p) => p.t >= e0 && p.t <= e1).map(read));
  const delta = end - base;
  const pct = (delta / base) * 100;
  const limit = Math.min((base * bound.pct) / 100, bound.mib * 1024 * 1024);
  // Not measured (a run stopped early): reported as such, a failure only for a run that went the distance.
  const measured = Number.isFinite(delta);
  return { name, base, end, delta, pct, limit, bound, measured, ok: measured ? delta <= limit : aborted };
}

// ───────────────────────────── cleanup ─────────────────────────────
async function stopEverything() {
  gate.closed = true;
  for (const { child } of started.values()) child.kill("SIGTERM");
  const deadline = performance.now() + 15_000;
  for (const { child } of [...started.values()]) {
    const left = Math.max(100, deadline - performance.now());
    if (!(await waitExit(child, left))) child.kill("SIGKILL");
  }
  for (const slot of slots) for (const pid of slot.livePids()) killPid(pid);
  for (const pid of upstreamPids) if (alive(pid)) killPid(pid);
}

let cleaning;
function emergency(reason) {
  if (cleaning) return;
  aborted = true;
  stopping = true;
  stopAc.abort();
  console.error(`soak: ${reason}; stopping everything it started`);
  const interrupted = reason === "SIGINT" || reason === "SIGTERM";
  if (!interrupted) stats.fail("aborted", { reason: String(reason).slice(0, 400) });
  cleaning = stopEverything().finally(() => {
    try {
      report();
    } catch (error) {
      console.error(`soak: no report: ${error?.stack ?? error}`);
    }
    rmSync(TMP, { recursive: true, force: true });
    process.exit(interrupted ? 130 : 1);
  });
}
process.on("SIGINT", () => emergency("SIGINT"));
process.on("SIGTERM", () => emergency("SIGTERM"));
process.on("uncaughtException", (error) => emergency(`uncaught exception: ${error?.stack ?? error}`));
process.on("unhandledRejection", (error) => emergency(`unhandled rejection: ${error?.stack ?? error}`));
setTimeout(() => emergency(`did not finish within ${HARD_LIMIT_MS / 60_000} min`), HARD_LIMIT_MS).unref();

// ───────────────────────────── main ─────────────────────────────
async function main() {
  log(
    `soak: ${DURATION_MS / 60_000} min, ${CLIS} CLIs × ${AGENTS} agents, ${WORKERS} workers per agent session; ` +
      `warm-up ${WARMUP_MS / 1000} s; out ${OUT}`,
  );
  log(
    `bounds: the API's live heap (after a full GC), the API's RSS and the stable CLI's RSS may each grow at most ` +
      `min(+${BOUNDS.apiHeap.pct}%, +${BOUNDS.apiHeap.mib} MiB) (median of the last ${WINDOW_MS / 1000} s vs median of the ` +
      `${WINDOW_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up)`,
  );
  api = await startApi({
    mainPath: API_MAIN,
    nodeArgs: ["--expose-gc", "--require", GC_PRELOAD],
    onLog: (line) => {
      if (apiLog.length < 500) apiLog.push(line);
    },
    onExit: (code, signal) => {
      apiExit = { code, signal };
      if (!stopping) {
        stats.fail("api_exit", { code, signal, log: apiLog.slice(-5) });
        emergency(`the API exited (${code ?? signal})`);
      }
    },
  });
  log(`API pid ${api.child.pid} on 127.0.0.1:${api.port}, MCP listener 127.0.0.1:${api.mcpPort}`);
  for (let i = 0; i < CLIS; i++) slots.push(new CliSlot(i));
  await Promise.all(slots.map((slot) => slot.start()));
  log(`${CLIS} CLIs attached, ${CLIS * AGENTS} agent sessions open`);

  const loops = [churnLoop(), sessionChurnLoop(), notifyLoop()];
  const sampler = (async () => {
    let lastPrint = 0;
    while (!stopping) {
      await pause(SAMPLE_MS);
      if (stopping) break;
      const point = await sample();
      if (elapsed() - lastPrint >= INTERVAL_MS) {
        lastPrint = elapsed();
        printStatus(point);
      }
    }
  })();

  const endAt = t0 + DURATION_MS;
  while (performance.now() < endAt && !aborted) await delay(Math.min(1000, endAt - performance.now()));
  if (aborted) return;
  const lastSample = await sample();
  printStatus(lastSample);
  log("duration reached: draining");
  stopping = true;
  stopAc.abort();
  await Promise.allSettled([...loops, sampler]);

  // Everything settles: workers finish their calls, notifies come back, sessions are DELETEd, CLIs stop.
  for (const slot of slots) slot.draining = true;
  const sessions = slots.flatMap((s) => s.sessions.filter(Boolean));
  await Promise.all(sessions.map((s) => s.drain()));
  const until = performance.now() + NOTIFY_GRACE_MS;
  while (slots.some((s) => s.notifies.size > 0) && performance.now() < until) await delay(50);
  for (const slot of slots) slot.checkNotifies();
  await Promise.all(sessions.map((s) => s.close({ terminate: true })));
  for (const slot of slots) slot.doomed = true;
  await Promise.all(slots.map((slot) => slot.stop()));

  // With every client gone, the API must hold nothing for them.
  let gauges;
  const cleanUntil = performance.now() + 10_000;
  do {
    await delay(200);
    gauges = (await sample()).gauges;
  } while (gauges && Object.values(gauges).some((v) => v !== 0) && performance.now() < cleanUntil);
  if (!gauges || Object.values(gauges).some((v) => v !== 0)) stats.fail("api_not_clean", { gauges });

  const apiStop = await stopChild(api.child, 15_000);
  if (apiStop.code !== 0) stats.fail("api_exit", { ...apiStop, when: "SIGTERM at the end", log: apiLog.slice(-5) });
}

function report() {
  const durationS = elapsed() / 1000;
  const windows = [
    [WARMUP_MS / 1000, (WARMUP_MS + WINDOW_MS) / 1000],
    [(DURATION_MS - WINDOW_MS) / 1000, DURATION_MS / 1000],
  ];
  const growths = [
    growth("API live heap", (p) => p.apiLiveHeap, BOUNDS.apiHeap, windows),
    growth("API RSS", (p) => p.apiRss, BOUNDS.apiRss, windows),
    growth("stable CLI RSS", (p) => p.stableCliRss, BOUNDS.cliRss, windows),
  ];
  for (const g of growths) {
    if (!g.ok) stats.fail("growth", { name: g.name, base: g.base, end: g.end, limit: g.limit, measured: g.measured });
  }

  const latency = stats.overall();
  const summary = {
    command: `pnpm soak --duration ${DURATION_MS / 60_000}`,
    config: {
      duration_min: DURATION_MS / 60_000,
      clis: CLIS,
      agents_per_cli: AGENTS,
      workers_per_session: WORKERS,
      warmup_s: WARMUP_MS / 1000,
      window_s: WINDOW_MS / 1000,
      churn_every_s: CHURN_MS / 1000,
      session_churn_every_s: SESSION_CHURN_MS / 1000,
      notify_every_s: NOTIFY_MS / 1000,
      lost_after_s: LOST_MS / 1000,
      mix: Object.fromEntries(MIX),
      node: process.version,
    },
    bounds: BOUNDS,
    calls: Object.fromEntries(stats.calls),
    total_calls: stats.totalCalls(),
    errors: Object.fromEntries(stats.errors),
    expected_errors: Object.fromEntries(stats.expectedErrors),
    latency_ms: latency,
    counters: Object.fromEntries(stats.counters),
    growth: growths,
    cli_rss_peak: Object.fromEntries(slots.map((s) => [s.slot, s.rssPeak])),
    max_listeners_warnings: abortWarnings.count,
    failures: Object.fromEntries(stats.failures),
    failure_records: stats.failureRecords,
    api_exit: apiExit,
    api_warnings: apiLog.slice(0, 50),
    passed: stats.failed === 0,
  };
  writeFileSync(join(OUT, `${RUN_NAME}.json`), `${JSON.stringify({ summary, timeline }, null, 1)}\n`);
  const svg = renderChart({
    points: timeline.map((p) => ({
      t: p.t,
      apiRss: p.apiRss,
      apiHeap: p.apiHeap,
      apiLiveHeap: p.apiLiveHeap,
      cliRss: p.stableCliRss,
      p99: p.window.p99,
    })),
    title: `Conduit soak — ${DURATION_MS / 60_000} min, ${CLIS} CLIs × ${AGENTS} agents`,
    subtitle: `${stats.totalCalls()} calls, p50 ${latency.all.p50?.toFixed(1)} ms, p99 ${latency.all.p99?.toFixed(1)} ms, failures ${stats.failed}; shaded: the windows compared for growth`,
    durationS: Math.max(durationS, DURATION_MS / 1000),
    warmupS: WARMUP_MS / 1000,
    windows,
  });
  writeFileSync(join(OUT, `${RUN_NAME}.svg`), svg);

  const line = (s = "") => console.log(s);
  line();
  line(`══ soak summary (${(durationS / 60).toFixed(1)} min) ══`);
  line(`calls by kind (ok / error / cancelled):`);
  for (const [kind, v] of stats.calls) {
    const l = latency[kind];
    line(
      `  ${kind.padEnd(13)} ${String(v.ok).padStart(7)} / ${String(v.error).padStart(4)} / ${String(v.cancelled).padStart(4)}` +
        (l ? `   p50 ${l.p50.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms` : ""),
    );
  }
  line(
    `  all           ${stats.totalCalls()}   p50 ${latency.all.p50?.toFixed(1)} ms  p99 ${latency.all.p99?.toFixed(1)} ms`,
  );
  line(`errors by code: ${[...stats.errors].map(([c, n]) => `${c} ×${n}`).join(", ") || "none"}`);
  line(
    `  of which expected (CLI being killed): ${[...stats.expectedErrors].map(([c, n]) => `${c} ×${n}`).join(", ") || "none"}`,
  );
  line(`counters: ${[...stats.counters].map(([c, n]) => `${c} ${n}`).join("; ")}`);
  line(
    `growth (median of the last ${WINDOW_MS / 1000} s vs the ${WINDOW_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up; bound min(+25%, +32 MiB)):`,
  );
  for (const g of growths) {
    if (!g.measured) {
      line(`  ${g.ok ? "n/a " : "FAIL"} ${g.name.padEnd(15)} not measured (no samples in a window)`);
      continue;
    }
    line(
      `  ${g.ok ? "ok  " : "FAIL"} ${g.name.padEnd(15)} ${mib(g.base)} → ${mib(g.end)} MiB (${g.delta >= 0 ? "+" : ""}${mib(g.delta)} MiB, ${g.pct.toFixed(1)}%; limit +${mib(g.limit)} MiB)`,
    );
  }
  line(`CLI RSS peak per slot (MiB): ${slots.map((s) => `${s.slot}:${mib(s.rssPeak)}`).join(" ")}`);
  line(`out: ${join(OUT, `${RUN_NAME}.json`)}, ${join(OUT, `${RUN_NAME}.svg`)}`);
  if (stats.failed === 0) {
    line(`PASS: no lost or crossed answer, no unexpected error, growth within bounds`);
  } else {
    line(`FAIL: ${[...stats.failures].map(([t, n]) => `${t} ×${n}`).join(", ")}`);
    const shown = new Map();
    for (const record of stats.failureRecords) {
      const n = (shown.get(record.type) ?? 0) + 1;
      shown.set(record.type, n);
      if (n <= 3) line(`  ${record.type}: ${JSON.stringify(record.detail).slice(0, 400)}`);
    }
  }
}

try {
  await main();
} catch (error) {
  stats.fail("soak_internal", { message: String(error?.stack ?? error).slice(0, 600) });
  console.error(error);
}
if (!aborted) {
  stopping = true;
  await stopEverything();
  report();
  rmSync(TMP, { recursive: true, force: true });
  process.exit(stats.failed === 0 ? 0 : 1);
}
