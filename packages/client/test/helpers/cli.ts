import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(PACKAGE_DIR, "dist", "cli.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ with tsup unless dist/cli.js is newer than every source file. */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    built = 0;
  }
  if (built > newestSource(join(PACKAGE_DIR, "src"))) return;
  execFileSync("npx", ["tsup"], { cwd: PACKAGE_DIR, stdio: "pipe" });
}

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStdout(pattern: RegExp): Promise<void>;
  waitForStderr(pattern: RegExp): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/**
 * `node dist/cli.js …args` with piped stdio and an environment without CONDUIT_API_KEY unless given,
 * in `cwd` (default: a directory without a conduit.config.json).
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd: string = PACKAGE_DIR): CliRun {
  const { CONDUIT_API_KEY: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, stdio: "pipe", cwd });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = once(child, "exit").then(([code, signal]) => {
    running.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout: (pattern) =>
      vi.waitFor(
        () => {
          if (!pattern.test(stdout)) throw new Error(`stdout so far: ${stdout}`);
        },
        { timeout: 15_000, interval: 20 },
      ),
    waitForStderr: (pattern) =>
      vi.waitFor(
        () => {
          if (!pattern.test(stderr)) throw new Error(`stderr so far: ${stderr}`);
        },
        { timeout: 15_000, interval: 20 },
      ),
  };
}

/** Kills CLI processes a failed test left behind. */
export async function killRunning(): Promise<void> {
  for (const child of running) {
    const exit = once(child, "exit");
    child.kill("SIGKILL");
    await exit;
  }
}
