// The frame of a scale bench run: its start time, the machine's load at the start (the machine is
// shared: the load says how much the figures can be trusted), a watchdog, and the one way to fail.
import console from "node:console";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout } from "node:timers";
import { killChildren } from "./ipc.mjs";

/** Starts the run's clock and watchdog; `abort(error)` prints `<NAME> BENCH FAILED`, stops every child by pid and exits 1. */
export function startBenchRun(name, watchdogMs) {
  const startedAt = performance.now();
  const loadAtStart = loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  const abort = (error) => {
    console.error(`${name} BENCH FAILED: ${error.message}`);
    killChildren();
    process.exit(1);
  };
  setTimeout(() => abort(new Error(`bench did not finish within ${watchdogMs / 1000} s`)), watchdogMs).unref();
  return { abort, loadAtStart, elapsedS: () => (performance.now() - startedAt) / 1000 };
}
