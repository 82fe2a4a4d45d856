#!/usr/bin/env node
// Top self-time functions of V8 .cpuprofile files (as written by `node --cpu-prof`):
//   node profile-top.mjs [--top 10] file.cpuprofile…
// Self time of a node = the sum of the time deltas of the samples taken in it; nodes of the same
// function (name + script + line) are summed. `(idle)` is left out of the list and of the total.
import console from "node:console";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";

/**
 * `intervals` ([startUs, endUs] on CLOCK_MONOTONIC, the clock of the profile's own timestamps)
 * keeps only the samples taken inside them; without it every sample counts.
 */
export function topSelfTime(path, top = 10, intervals) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (intervals && !intervals.some(([from, to]) => at >= from && at <= to)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const byFunction = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byNode.get(id).callFrame;
    if (functionName === "(idle)") continue;
    totalUs += us;
    const script = url
      ? url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
      : "";
    const key = `${functionName || "(anonymous)"}${script ? ` ${shorten(script)}:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ function: fn, selfMs: us / 1000, percent: (100 * us) / totalUs }));
  const windowMs = intervals ? intervals.reduce((sum, [from, to]) => sum + (to - from), 0) / 1000 : undefined;
  return { file: basename(path), busyMs: totalUs / 1000, windowMs, rows };
}

/** Repository-relative for our own files; package-relative for dependencies; node: internals kept. */
function shorten(script) {
  const repo = script.indexOf("/packages/") >= 0 ? script.indexOf("/packages/") : script.indexOf("/apps/");
  return repo >= 0 ? script.slice(repo + 1) : script;
}

export function formatTop({ file, busyMs, windowMs, rows }) {
  const span = windowMs === undefined ? "" : ` in ${windowMs.toFixed(0)} ms of measured windows`;
  const lines = [
    `${file} — ${busyMs.toFixed(0)} ms of samples not idle${span}`,
    "",
    "| # | self ms | % | function |",
    "|---|---|---|---|",
  ];
  rows.forEach((row, index) =>
    lines.push(`| ${index + 1} | ${row.selfMs.toFixed(1)} | ${row.percent.toFixed(1)} | \`${row.function}\` |`),
  );
  return lines.join("\n");
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const args = process.argv.slice(2);
  let top = 10;
  const topAt = args.indexOf("--top");
  if (topAt >= 0) {
    top = Number(args[topAt + 1]);
    args.splice(topAt, 2);
  }
  if (args.length === 0) {
    console.error("usage: node profile-top.mjs [--top N] file.cpuprofile…");
    process.exit(1);
  }
  for (const path of args) console.log(`${formatTop(topSelfTime(path, top))}\n`);
}
