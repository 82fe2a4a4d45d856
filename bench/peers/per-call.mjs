#!/usr/bin/env node
// System calls and CPU per call of one system's own processes, read from /proc, for one cell:
//   node per-call.mjs <system> <concurrency> [windows=3] [windowMs=3000] [own|shared]
// BENCH_ROOT=<another checkout> runs that checkout's built system instead (its bench/peers/lib),
// so two builds can be run one after the other in the same conditions (an A/B).
// BENCH_WARMUP_MS (8000) is the unmeasured load before the windows. Processes run on CPU 1.
import console from "node:console";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const [name, cArg, windowsArg, msArg, modeArg] = process.argv.slice(2);
const root = resolve(process.env.BENCH_ROOT ?? join(fileURLToPath(import.meta.url), "../../.."));
const concurrency = Number(cArg ?? 64);
const windows = Number(windowsArg ?? 3);
const windowMs = Number(msArg ?? 3000);
const mode = modeArg ?? "shared";
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 8000);
if (!name || !Number.isInteger(concurrency) || concurrency < 1 || !["own", "shared"].includes(mode)) {
  console.error("usage: node per-call.mjs <system> <concurrency> [windows] [windowMs] [own|shared]");
  process.exit(2);
}

const lib = (file) => import(join(root, "bench/peers/lib", file));
const { SYSTEMS } = await lib("systems.mjs");
const { Target, runWindow } = await lib("loadgen.mjs");
const { CLK_TCK, pinSelf, stopAll } = await lib("processes.mjs");

/** [read syscalls, write syscalls, user µs, system µs] of one process so far. */
function counters(pid) {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 1e6 / CLK_TCK;
  return [
    Number(/syscr: (\d+)/.exec(io)[1]),
    Number(/syscw: (\d+)/.exec(io)[1]),
    Number(fields[11]) * tick,
    Number(fields[12]) * tick,
  ];
}

const system = SYSTEMS.find((candidate) => candidate.name === name);
if (!system) {
  console.error(`unknown system ${name}: ${SYSTEMS.map((candidate) => candidate.name).join(", ")}`);
  process.exit(2);
}
pinSelf();
const logDir = mkdtempSync(join(tmpdir(), "per-call-"));
try {
  const info = await system.start({ logDir, apiLogLevel: "info", maxSessions: concurrency });
  const target = new Target({ name, url: info.url, headers: info.headers, connections: concurrency });
  const sessions =
    mode === "shared"
      ? Array(concurrency).fill(await target.openSession())
      : await Promise.all(Array.from({ length: concurrency }, () => target.openSession()));
  await runWindow(target, sessions, warmupMs, []);
  for (let window = 0; window < windows; window++) {
    const before = Object.fromEntries(Object.entries(info.own).map(([role, pid]) => [role, counters(pid)]));
    const result = await runWindow(target, sessions, windowMs, []);
    const parts = Object.entries(info.own).map(([role, pid]) => {
      const [reads, writes, user, sys] = counters(pid).map((value, i) => (value - before[role][i]) / result.calls);
      return `${role}: ${reads.toFixed(2)} reads ${writes.toFixed(2)} writes ${user.toFixed(0)} µs user ${sys.toFixed(0)} µs sys`;
    });
    console.log(
      `${name} c=${concurrency} ${mode} ${Math.round((result.calls * 1000) / result.ms)}/s | ${parts.join(" | ")}`,
    );
  }
  await target.close();
} finally {
  await stopAll();
  rmSync(logDir, { recursive: true, force: true });
}
