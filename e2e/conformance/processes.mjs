// Child processes for the harness: spawn with line-buffered output, wait for a
// line (never a sleep), and stop by pid — SIGTERM, then SIGKILL past a bound.
import { spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { clearTimeout, setTimeout } from "node:timers";

/** Every child still running, so `stopAll()` can end them even after a failure. */
const running = new Set();

class Lines {
  lines = [];
  /** Called after each new line. */
  waiters = new Set();

  constructor(stream, onLine) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      this.lines.push(line);
      onLine?.(line);
      for (const wake of [...this.waiters]) wake();
    });
  }

  tail(count = 20) {
    return this.lines.slice(-count).join("\n");
  }
}

/**
 * Spawns `process.execPath args…`. `onStdout`/`onStderr` see each line as it
 * arrives. The returned child has `exited` (a promise of {code, signal}).
 */
export function spawnNode(name, args, { env = {}, cwd, onStdout, onStderr } = {}) {
  // An `undefined` value removes that variable from the inherited environment.
  const merged = { ...process.env, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const proc = spawn(process.execPath, args, { cwd, env: merged, stdio: ["pipe", "pipe", "pipe"] });
  const child = {
    name,
    proc,
    pid: proc.pid,
    stdout: new Lines(proc.stdout, onStdout),
    stderr: new Lines(proc.stderr, onStderr),
    exit: undefined,
  };
  running.add(child);
  child.exited = new Promise((resolve) => {
    proc.once("exit", (code, signal) => {
      running.delete(child);
      child.exit = { code, signal };
      resolve(child.exit);
    });
    proc.once("error", (error) => {
      running.delete(child);
      child.exit = { code: null, signal: null, error: error.message };
      resolve(child.exit);
    });
  });
  return child;
}

/**
 * Resolves with the first line of `stream` ("stdout" or "stderr") that `match` maps to a value
 * (not undefined); rejects on exit or after `ms` (a bound).
 */
export function waitForLine(child, match, what, ms = 30_000, stream = "stdout") {
  const lines = child[stream];
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const line of lines.lines) {
        const value = match(line);
        if (value !== undefined) return finish(resolve, value);
      }
    };
    const finish = (settle, value) => {
      clearTimeout(timer);
      lines.waiters.delete(check);
      settle(value);
    };
    const timer = setTimeout(
      () => finish(reject, new Error(`${child.name}: no ${what} within ${ms} ms\n${child.stderr.tail()}`)),
      ms,
    );
    child.exited.then((exit) =>
      finish(
        reject,
        new Error(`${child.name} exited (${JSON.stringify(exit)}) before ${what}\n${child.stderr.tail()}`),
      ),
    );
    lines.waiters.add(check);
    check();
  });
}

/** Rejects if `promise` has not settled within `ms` (a bound, not a synchronisation). */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Stops one child by pid: `signal` first, SIGKILL if it is still running after `graceMs`. */
export async function stop(child, { signal = "SIGTERM", graceMs = 10_000 } = {}) {
  if (child.exit) return child.exit;
  try {
    process.kill(child.pid, signal);
  } catch {
    return child.exited;
  }
  try {
    return await within(child.exited, graceMs, `${child.name} (pid ${child.pid}) after ${signal}`);
  } catch {
    killPid(child.pid);
    const exit = await child.exited;
    return { ...exit, forced: true };
  }
}

/** Stops every child this module started that is still running. */
export async function stopAll() {
  await Promise.all([...running].map((child) => stop(child, { graceMs: 5_000 })));
}

/** True while a process with this pid exists. */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** SIGKILL by pid; a process already gone is not an error. */
export function killPid(pid) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** A line of a child's output parsed as a JSON object, or undefined (not JSON, or not an object). */
export function parseJsonObject(line) {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
