#!/usr/bin/env node
// `pnpm start`: checks Node, builds every package (cached after the first run), then runs the API in
// the foreground and exits with its exit code. One Node process rather than a shell `build && run`
// line: a Ctrl-C reaches the terminal's whole process group, and a shell there dies of it, so pnpm
// reported `ELIFECYCLE Command failed` after the API had shut down cleanly. This launcher outlives the
// signal and lets the API decide the exit code (0 after a graceful shutdown).
import "./check-node.mjs";
import { spawn, spawnSync } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const turbo = fileURLToPath(new URL("../../node_modules/.bin/turbo", import.meta.url));
const main = fileURLToPath(new URL("../../apps/api/dist/main.js", import.meta.url));

// A terminal's Ctrl-C (SIGINT) already reaches the child, which shares this process group: forwarding it
// would be a second signal, which the API treats as "exit now". Signals sent to this process alone (a
// supervisor's SIGTERM, a closed terminal's SIGHUP) are forwarded.
let child;
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child) child.kill(signal);
    else process.exit(128 + constants.signals[signal]);
  });
}

const build = spawnSync(turbo, ["run", "build", "--output-logs=errors-only"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 128 + (constants.signals[build.signal] ?? 0));

child = spawn(process.execPath, [main, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
child.on("exit", (code, signal) => process.exit(code ?? 128 + constants.signals[signal]));
