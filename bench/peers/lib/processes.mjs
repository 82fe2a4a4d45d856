// Processes for the benchmark: spawned (pinned to a CPU with taskset when it exists), their output
// written to log files, read from /proc, and stopped by PID — each one's descendants too.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

export const TASKSET = ["/usr/bin/taskset", "/bin/taskset"].find((path) => existsSync(path));
const CPUS = readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm)?.length ?? 1;
/** Servers go on CPU 1, the load generator on CPU 0 (only with taskset and at least two CPUs). */
export const PINNING = Boolean(TASKSET) && CPUS >= 2;
export const SERVER_CPU = "1";
export const LOADGEN_CPU = "0";

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Every process this module started and has not seen exit. */
const running = new Set();

/** Pins this process (the load generator) to LOADGEN_CPU. */
export function pinSelf() {
  if (!PINNING) return false;
  execFileSync(TASKSET, ["-cp", LOADGEN_CPU, String(process.pid)], { stdio: "ignore" });
  return true;
}

/**
 * Starts `command args…` on the server CPU with stdout and stderr appended to `<logDir>/<name>.log`.
 * Its own process group (detached), so a Ctrl-C reaches only the harness, which stops it in order.
 */
export function startProcess(name, command, args, { env = {}, logDir, stdin = "ignore", cwd } = {}) {
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, "a");
  const [file, argv] = PINNING ? [TASKSET, ["-c", SERVER_CPU, command, ...args]] : [command, args];
  const proc = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: [stdin, fd, fd], detached: true });
  closeSync(fd);
  const child = { name, proc, pid: proc.pid, logPath, exit: undefined };
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
  // The pid only exists once spawned; a failed spawn reports through `exited`.
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${file}`);
  return child;
}

export function readLog(child) {
  try {
    return readFileSync(child.logPath, "utf8");
  } catch {
    return "";
  }
}

/** Polls the child's log until `match(text)` returns a value; fails if the child exits or after `ms`. */
export async function waitForLog(child, match, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = match(readLog(child));
    if (value !== undefined) return value;
    if (child.exit)
      throw new Error(`${child.name} exited ${JSON.stringify(child.exit)} before ${what}:\n${tail(child)}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: no ${what} within ${ms} ms:\n${tail(child)}`);
    await sleep(25);
  }
}

export function tail(child, lines = 15) {
  return readLog(child).split("\n").slice(-lines).join("\n");
}

/** utime + stime of one process (not its children), in µs; undefined once it is gone. */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** pid → {ppid, start} for every process, from /proc (start = starttime, to recognise a reused pid). */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(entry), { ppid: Number(fields[1]), start: fields[19] });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Every live descendant of `pid` (children, grandchildren, …) with its start time. */
export function descendants(pid) {
  const table = processTable();
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, info] of table) {
      if (info.ppid === parent) {
        found.push({ pid: child, start: info.start });
        queue.push(child);
      }
    }
  }
  return found;
}

export function childCount(pid) {
  return descendants(pid).length;
}

function sameProcess({ pid, start }) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] === start;
  } catch {
    return false;
  }
}

function kill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops one child by PID: `signal`, then SIGKILL past `graceMs`; then SIGKILL to any of its
 * descendants (noted before the signal) that outlived it — the stdio echo servers of a gateway.
 */
export async function stopProcess(child, { signal = "SIGTERM", graceMs = 5_000 } = {}) {
  const family = descendants(child.pid);
  if (!child.exit) {
    kill(child.pid, signal);
    const timer = sleep(graceMs).then(() => "timeout");
    if ((await Promise.race([child.exited, timer])) === "timeout") kill(child.pid, "SIGKILL");
    await child.exited;
  }
  // Give orphans the same grace to leave by themselves, then force them.
  const deadline = Date.now() + graceMs;
  while (family.some(sameProcess) && Date.now() < deadline) await sleep(25);
  for (const member of family) if (sameProcess(member)) kill(member.pid, "SIGKILL");
  return child.exit;
}

/** Stops every child still running, `first` ones before the others (e.g. the CLIs before the APIs). */
export async function stopAll(first = () => false) {
  const children = [...running];
  await Promise.all(children.filter(first).map((child) => stopProcess(child)));
  await Promise.all(children.filter((child) => !first(child)).map((child) => stopProcess(child)));
}

/** Last resort on a synchronous exit: SIGKILL whatever is left, with its descendants. */
export function killAllNow() {
  for (const child of running) {
    for (const member of descendants(child.pid)) kill(member.pid, "SIGKILL");
    kill(child.pid, "SIGKILL");
  }
}

export function runningCount() {
  return running.size;
}
