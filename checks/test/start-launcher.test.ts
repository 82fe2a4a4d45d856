// `pnpm start` (tooling/scripts/start.mjs): builds, runs the API in the foreground, and a Ctrl-C (SIGINT
// to the whole foreground process group, as a terminal sends it) ends with the API's graceful shutdown
// and exit 0, with no `ELIFECYCLE` line from pnpm.
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { start, stopGroup, type Running } from "../src/processes.js";
import { pathWithPnpm, pinnedPnpm, workspaceRoot } from "../src/workspace.js";

let env: NodeJS.ProcessEnv;
beforeAll(() => {
  env = { ...process.env, PATH: pathWithPnpm(), ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0", FORCE_COLOR: "0" };
});
const listening = /"msg":"listening"/;
let running: Running | undefined;

afterEach(async () => {
  await stopGroup(running);
  running = undefined;
});

/** In its own process group, like a terminal's foreground job. */
function startDetached(command: string, args: string[]): Running {
  return start(command, args, { cwd: workspaceRoot, env, detached: true });
}

describe("the start launcher", () => {
  it("exits 0 after a graceful shutdown when the process group gets SIGINT", async () => {
    running = startDetached(process.execPath, [join(workspaceRoot, "tooling", "scripts", "start.mjs")]);
    await running.waitFor(listening);
    process.kill(-(running.child.pid ?? 0), "SIGINT");
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.output()).toMatch(/"msg":"shut down"/);
  });

  it("forwards a SIGTERM sent to it alone, and exits 0 after the shutdown", async () => {
    running = startDetached(process.execPath, [join(workspaceRoot, "tooling", "scripts", "start.mjs")]);
    await running.waitFor(listening);
    running.child.kill("SIGTERM");
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
  });

  it("exits with the API's code when the API fails to start", async () => {
    running = start(process.execPath, [join(workspaceRoot, "tooling", "scripts", "start.mjs"), "--port", "x"], {
      cwd: workspaceRoot,
      env,
    });
    expect((await running.exited).code).toBe(2);
  });
});

describe("`npx -y pnpm start`, the README command", () => {
  it("exits 0 with no ELIFECYCLE line when the terminal's process group gets SIGINT", async () => {
    const [npx = "npx", ...args] = pinnedPnpm();
    running = startDetached(npx, [...args, "start"]);
    await running.waitFor(listening);
    process.kill(-(running.child.pid ?? 0), "SIGINT");
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.output()).toMatch(/"msg":"shut down"/);
    expect(running.output()).not.toMatch(/ELIFECYCLE|Command failed/);
  });
});
