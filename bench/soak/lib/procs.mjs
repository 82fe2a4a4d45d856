// The processes the soak starts (the built API, the built CLIs) and what it
// reads about them: the API's `listening` line, /proc/<pid>/status, /metrics.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";

/** Every child this process started, by pid, so cleanup can end exactly those. */
export const started = new Map();
/** Set once cleanup has begun: a child started after that is ended at once. */
export const gate = { closed: false };

function track(child, label) {
  if (gate.closed) child.kill("SIGKILL");
  started.set(child.pid, { child, label });
  child.once("exit", () => started.delete(child.pid));
  return child;
}

/** Resident set size of a pid in bytes (VmRSS), or undefined when it is gone. */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** True while the pid exists and is not a zombie. */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The child's exit `{code, signal}`, or undefined if it did not exit within ms. */
export async function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const ac = new AbortController();
  const result = await Promise.race([
    once(child, "exit").then(([code, signal]) => ({ code, signal })),
    delay(ms, undefined, { signal: ac.signal }).then(
      () => undefined,
      () => undefined,
    ),
  ]);
  ac.abort();
  return result;
}

/** SIGTERM, then SIGKILL after graceMs; resolves with the exit. */
export async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  child.kill("SIGTERM");
  const exit = await waitExit(child, graceMs);
  if (exit) return exit;
  child.kill("SIGKILL");
  return (await waitExit(child, 5_000)) ?? { code: null, signal: "SIGKILL" };
}

/** Kills a pid this soak is responsible for (an upstream a CLI left behind). */
export function killPid(pid, signal = "SIGKILL") {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the built API on ephemeral ports, loopback only, and resolves once its
 * `listening` line is parsed. Every later warn/error line is handed to onLog.
 */
export async function startApi({ mainPath, nodeArgs = [], env, onLog, onExit }) {
  const child = track(
    spawn(process.execPath, [...nodeArgs, mainPath], {
      env: { ...process.env, ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
    "api",
  );
  child.once("exit", (code, signal) => onExit?.(code, signal));
  const listening = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        onLog?.(line);
        return;
      }
      if (entry.msg === "listening") resolve({ port: entry.port, mcpPort: entry.mcpPort });
      else if (entry.level >= 40) onLog?.(line);
    });
    child.once("exit", (code) => reject(new Error(`the API exited (${code}) before listening`)));
  });
  createInterface({ input: child.stderr }).on("line", (line) => onLog?.(line));
  const timeout = delay(30_000).then(() => {
    throw new Error("the API did not print its listening line within 30 s");
  });
  const ports = await Promise.race([listening, timeout]);
  return { child, ...ports };
}

/** Reads the API's /metrics and returns the named samples (first series of each). */
export async function scrapeMetrics(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const values = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.length === 0) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, labels, value] = match;
    if (labels === undefined) values[name] ??= Number(value);
    else {
      values[`${name}${labels}`] = Number(value);
    }
  }
  return values;
}

/**
 * Starts one built CLI: `conduit attach <url> --json --body <file> --mcp objectiveai='node fixture'`.
 * Chunks (stdout NDJSON) go to onChunk, stderr lines to onStderr.
 */
export function startCli({ cliPath, url, bodyFile, mcpSpec, env, onChunk, onStderr, onExit, label }) {
  const child = track(
    spawn(process.execPath, [cliPath, "attach", url, "--json", "--body", bodyFile, "--mcp", `objectiveai=${mcpSpec}`], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    }),
    label,
  );
  child.stdin.on("error", () => undefined);
  createInterface({ input: child.stdout }).on("line", (line) => {
    let chunk;
    try {
      chunk = JSON.parse(line);
    } catch {
      onStderr?.(`unparsable stdout line: ${line.slice(0, 200)}`);
      return;
    }
    onChunk(chunk);
  });
  createInterface({ input: child.stderr }).on("line", (line) => onStderr?.(line));
  child.once("exit", (code, signal) => onExit?.(code, signal));
  return child;
}
