// The Node gate (tooling/scripts/check-node.mjs): on a Node older than package.json#engines, the README
// commands stop at once with one line naming the Node needed and how to get it; on a new enough Node
// the gate says nothing.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { findOldNode } from "../src/old-node.js";
import { pinnedPnpm, rootManifest, workspaceRoot } from "../src/workspace.js";

const gate = join(workspaceRoot, "tooling", "scripts", "check-node.mjs");
const oldNode = findOldNode();
const wanted = rootManifest().engines.node;
const expectedLine = new RegExp(
  `^conduit needs Node ${wanted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(package\\.json engines\\) but this is Node v\\d+\\.\\d+\\.\\d+ .*nvm install 22.*npm install --prefix ~/\\.cache/conduit-node node@22`,
);

/**
 * Runs a command as from a user's shell: only the old Node's directory (and the system's) on PATH, and
 * none of the npm_* / pnpm variables this test inherits from `pnpm test` (npm warns about them).
 */
function withOldNode(command: string, args: string[]) {
  const path = [dirname(oldNode ?? ""), "/usr/bin", "/bin"].join(":");
  const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
  return spawnSync(command, args, {
    cwd: workspaceRoot,
    encoding: "utf8",
    env: { ...shellEnv, PATH: path, npm_config_prefer_offline: "true", FORCE_COLOR: "0" },
  });
}

describe("on a Node older than engines", () => {
  it.skipIf(!oldNode)("the gate prints one line to stderr and exits 1", () => {
    const result = spawnSync(oldNode ?? "", [gate], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expectedLine);
  });

  it.skipIf(!oldNode)("`pnpm install` stops before it resolves anything, with that line alone", () => {
    const result = withOldNode(pinnedPnpm()[0] ?? "npx", [...pinnedPnpm().slice(1), "install", "--offline"]);
    expect(result.status).toBe(1);
    const output = `${result.stdout}${result.stderr}`.split("\n").filter((line) => line.trim() !== "");
    expect(output, output.join("\n")).toHaveLength(1);
    expect(output[0]).toMatch(expectedLine);
  });

  for (const script of ["start", "test"]) {
    it.skipIf(!oldNode)(`\`pnpm ${script}\` stops with that line before it builds or tests`, () => {
      const result = withOldNode(pinnedPnpm()[0] ?? "npx", [...pinnedPnpm().slice(1), script]);
      expect(result.status).toBe(1);
      const gateLines = result.stderr.split("\n").filter((line) => expectedLine.test(line));
      expect(gateLines).toHaveLength(1);
      expect(result.stdout).not.toMatch(/Tasks:|passed|listening/);
    });
  }
});

describe("on this Node", () => {
  it("the gate is silent and exits 0", () => {
    const result = spawnSync(process.execPath, [gate], { encoding: "utf8" });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("the gate runs first in the root `start` and `test` scripts", () => {
    const { scripts } = rootManifest();
    expect(scripts.start).toBe("node tooling/scripts/start.mjs");
    expect(scripts.test).toBe("node tooling/scripts/run-tests.mjs");
    for (const script of ["start.mjs", "run-tests.mjs"]) {
      const source = spawnSync("grep", ["-m1", "^import ", join(workspaceRoot, "tooling", "scripts", script)], {
        encoding: "utf8",
      }).stdout;
      expect(source.trim()).toBe('import "./check-node.mjs";');
    }
  });
});
