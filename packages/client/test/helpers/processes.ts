import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { UpstreamSpec } from "../../src/index.js";

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

const require = createRequire(import.meta.url);
const everythingDir = dirname(require.resolve("@modelcontextprotocol/server-everything/package.json"));
const everythingBin = (
  require("@modelcontextprotocol/server-everything/package.json") as { bin: Record<string, string> }
).bin;

/** The real server-everything, over stdio. */
export const EVERYTHING_BIN = join(everythingDir, Object.values(everythingBin)[0] as string);
export const everythingSpec: UpstreamSpec = {
  kind: "stdio",
  command: process.execPath,
  args: [EVERYTHING_BIN, "stdio"],
};

/** The configurable test upstream (test/fixtures/fixture-server.ts). */
export const FIXTURE_SERVER = fileURLToPath(new URL("../fixtures/fixture-server.ts", import.meta.url));
export const fixtureSpec: UpstreamSpec = {
  kind: "stdio",
  command: process.execPath,
  args: ["--experimental-strip-types", "--no-warnings", FIXTURE_SERVER],
};

/** Live child processes of `parent` (default: this process) whose command line contains `marker`. */
export function childPids(marker: string, parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== parent || fields[0] === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}
