import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

const FLOOR = [22, 12, 0];

function olderThanFloor(version: string): boolean {
  const parts = version.replace(/^v/, "").split(".").map(Number);
  for (let i = 0; i < 3; i += 1) {
    const have = parts[i] ?? 0;
    const need = FLOOR[i] ?? 0;
    if (have !== need) return have < need;
  }
  return false;
}

/**
 * A Node binary older than the engines floor, to prove the gate stops it: `$CONDUIT_OLD_NODE`, else
 * the first `node` on PATH (or /usr/bin/node) that is older. Undefined when the machine has none.
 */
export function findOldNode(): string | undefined {
  const candidates = [
    process.env.CONDUIT_OLD_NODE,
    ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "node")),
    "/usr/bin/node",
    "/usr/local/bin/node",
  ];
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
    if (olderThanFloor(version)) return candidate;
  }
  return undefined;
}
