// Event-loop responsiveness of the built API while it serves the worst-case bodies the default
// limits let through: a WebSocket body just under WS_MAX_FRAME_BYTES (16 MiB) asking for a
// MAX_SWARM (64) mock swarm with one huge content turn, and the same as a POST just under
// MAX_BODY_BYTES (4 MiB), streamed (SSE) and unary.
//
// The server is `dist/main.js` in a child process with its default limits. A probe sends
// GET /healthz back to back over one keep-alive connection and records the round trips: first
// while the server is idle (the baseline), then during each scenario. The load client runs in a
// worker thread, so reading the server's output does not delay the probe's own event loop. The
// server also measures its own event-loop delay (bench/loop-monitor.mjs, preloaded), which CPU
// contention on the machine inflates less than the probe's round trips.
// Run after `pnpm turbo build`:  node bench/block.bench.mjs   (BENCH_IDLE_MS, BENCH_N scale it)
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import console from "node:console";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { createInterface } from "node:readline";
import { setTimeout } from "node:timers";
import { URL, fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { WebSocket } from "ws";

const { fetch } = globalThis;
const MIB = 1024 * 1024;
const WS_LIMIT = 16 * MIB;
const POST_LIMIT = 4 * MIB;
const N = Number(process.env.BENCH_N ?? 64);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);

/** A body of at most `limit` bytes: n agents, one content turn filling the rest (ASCII plus astral characters). */
function worstBody(limit, extra) {
  const unit = "lorem ipsum dolor sit amet 😀 consectetur 𝄞 ";
  const shell = JSON.stringify({ agent: { upstream: "mock", turns: [{ content: "" }] }, n: N, ...extra });
  const room = limit - Buffer.byteLength(shell) - 64;
  const repeats = Math.floor(room / Buffer.byteLength(unit));
  const content = unit.repeat(repeats);
  return JSON.stringify({ agent: { upstream: "mock", turns: [{ content }] }, n: N, ...extra });
}

// ── the load client (worker thread): sends one body, reads everything back, counts bytes ──
async function load({ kind, url, body }) {
  const started = performance.now();
  let bytes = 0;
  let messages = 0;
  if (kind === "ws") {
    const ws = new WebSocket(url, "conduit.v1", { maxPayload: 64 * MIB });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.send(body);
    const code = await new Promise((resolve) => {
      ws.on("message", (data) => {
        bytes += data.length;
        messages += 1;
      });
      ws.once("close", (closeCode) => resolve(closeCode));
    });
    return { bytes, messages, status: `close ${code}`, ms: performance.now() - started };
  }
  const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
  for await (const part of response.body) {
    bytes += part.length;
    messages += 1;
  }
  return { bytes, messages, status: `HTTP ${response.status}`, ms: performance.now() - started };
}

let stopping = false;

if (!isMainThread) {
  parentPort.postMessage(await load(workerData));
} else {
  await main();
}

function runLoad(kind, url, body) {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { kind, url, body } });
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** GET /healthz back to back until `until` settles; the round trips in ms. */
async function probe(port, until) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = [];
  let done = false;
  until.then(
    () => (done = true),
    () => (done = true),
  );
  const get = () =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
        res.resume();
        res.once("end", resolve);
      });
      req.once("error", reject);
      req.end();
    });
  while (!done) {
    const start = performance.now();
    // A keep-alive connection the server closed just as the request went out: retry, the wait counts.
    for (let attempt = 0; ; attempt++) {
      try {
        await get();
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    samples.push(performance.now() - start);
  }
  agent.destroy();
  return samples;
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) };
}

function peakRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

async function main() {
  const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));
  // The defaults of every limit; no API_KEYS (the probe and the load send no key).
  const env = { ...process.env, ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0", LOG_LEVEL: "info" };
  delete env.API_KEYS;
  const monitor = fileURLToPath(new URL("./loop-monitor.mjs", import.meta.url));
  const child = spawn(process.execPath, ["--import", monitor, mainJs], { env, stdio: ["ignore", "pipe", "pipe"] });
  // The server's own view: the largest event-loop delay since the previous call (monitorEventLoopDelay).
  const loopReports = [];
  let onReport = () => undefined;
  createInterface({ input: child.stderr }).on("line", (line) => {
    if (!line.startsWith("loop-delay ")) return void process.stderr.write(`${line}\n`);
    loopReports.push(JSON.parse(line.slice("loop-delay ".length)));
    onReport();
  });
  const loopDelay = () =>
    new Promise((resolve) => {
      const seen = loopReports.length;
      onReport = () => {
        if (loopReports.length > seen) resolve(loopReports[seen]);
      };
      child.kill("SIGUSR2");
    });
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`the API exited early (code ${code}, signal ${signal})`);
  });
  const port = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the API exited (${code})`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).port);
    });
  });
  try {
    const ms = (value) => `${value.toFixed(1)} ms`.padStart(10);
    const mb = (bytes) => `${(bytes / MIB).toFixed(0)} MiB`;

    await loopDelay();
    const idle = summary(await probe(port, new Promise((resolve) => setTimeout(resolve, IDLE_MS))));
    const idleLoop = await loopDelay();
    console.log(`node ${process.version}, n=${N}, default limits. /healthz round trips seen by the probe, and the`);
    console.log("API's own largest event-loop delay (monitorEventLoopDelay); ratios are against the idle run.");
    console.log(
      `${"".padEnd(30)} ${"probes".padStart(6)} ${"p50".padStart(10)} ${"p99".padStart(10)} ${"max".padStart(10)} ${"loop max".padStart(10)}`,
    );
    const line = (name, stats, loop, extra = "") =>
      console.log(
        `${name.padEnd(30)} ${String(stats.count).padStart(6)} ${ms(stats.p50)} ${ms(stats.p99)} ${ms(stats.max)} ${ms(loop.max)}${extra}`,
      );
    line("idle", idle, idleLoop);

    const scenarios = [
      ["ws", `ws://127.0.0.1:${port}/agent/completions`, worstBody(WS_LIMIT - 16, {}), "WebSocket body"],
      ["post", `http://127.0.0.1:${port}/agent/completions`, worstBody(POST_LIMIT, { stream: true }), "POST SSE"],
      ["post", `http://127.0.0.1:${port}/agent/completions`, worstBody(POST_LIMIT, {}), "POST unary"],
    ];
    const rows = [];
    for (const [kind, url, body, label] of scenarios) {
      const loaded = runLoad(kind, url, body);
      const stats = summary(await probe(port, loaded));
      const result = await loaded;
      const loop = await loopDelay();
      const memory = peakRss(child.pid);
      const name = `${label} ${(Buffer.byteLength(body) / MIB).toFixed(2)} MiB`;
      line(
        name,
        stats,
        loop,
        `   ${(stats.max / idle.max).toFixed(1)}x / ${(loop.max / idleLoop.max).toFixed(1)}x idle` +
          `   (${result.status}, ${mb(result.bytes)} back in ${(result.ms / 1000).toFixed(1)} s;` +
          ` API RSS ${mb(memory.rss)}, peak ${mb(memory.hwm)})`,
      );
      rows.push({ name, probe: stats.max, loop: loop.max });
    }
    const worstProbe = rows.reduce((a, b) => (b.probe > a.probe ? b : a));
    const worstLoop = rows.reduce((a, b) => (b.loop > a.loop ? b : a));
    console.log(
      `worst block: ${worstLoop.loop.toFixed(1)} ms in the API's loop (${worstLoop.name}; idle max ${idleLoop.max.toFixed(1)} ms,` +
        ` ${(worstLoop.loop / idleLoop.max).toFixed(1)}x), ${worstProbe.probe.toFixed(1)} ms for a probe (${worstProbe.name};` +
        ` idle max ${idle.max.toFixed(1)} ms, ${(worstProbe.probe / idle.max).toFixed(1)}x; idle median ${idle.p50.toFixed(1)} ms)`,
    );
  } finally {
    stopping = true;
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}
