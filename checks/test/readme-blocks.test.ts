// Every code block of every README is either run here or marked as not meant to run, with a reason
// (`<!-- check: skip … -->`); see src/readme-blocks.ts for the marks.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type ApiServer } from "../src/api-server.js";
import { examplesDir, nodeArgs, writeExample } from "../src/example-files.js";
import { start, stopGroup, type Running } from "../src/processes.js";
import { findReadmes, readmeBlocks, type ReadmeBlock } from "../src/readme-blocks.js";
import { workspaceRoot } from "../src/workspace.js";
import { expectedOutput, probes } from "./readme-probes.js";

const blocks = findReadmes(workspaceRoot).flatMap((file) => readmeBlocks(workspaceRoot, file));
rmSync(examplesDir, { recursive: true, force: true });
const where = (block: ReadmeBlock): string => `${block.file}:${block.line}`;
// Examples never reach the network: npx resolves only what this package installed.
const env = { ...process.env, PORT: "0", npm_config_offline: "true", FORCE_COLOR: "0" };

/** The key of `expectedOutput`: the README and the block's place among its executed blocks. */
function outputKey(block: ReadmeBlock): string {
  const executed = blocks.filter(
    (other) => other.file === block.file && (other.mode === "run" || other.mode === "with-api"),
  );
  return `${block.file}#${executed.indexOf(block) + 1}`;
}

function expectOutput(block: ReadmeBlock, running: Running): void {
  for (const pattern of expectedOutput[outputKey(block)] ?? []) expect(running.output()).toMatch(pattern);
}

function runExample(block: ReadmeBlock, extraEnv: Record<string, string> = {}): Running {
  const path = writeExample(block);
  return start(process.execPath, nodeArgs(block, path), { cwd: examplesDir, env: { ...env, ...extraEnv } });
}

describe("README code blocks", () => {
  it("are found in every package's README", () => {
    const files = new Set(blocks.map((block) => block.file));
    for (const pkg of ["protocol", "registry", "listeners", "ws-server", "mcp-route", "client"]) {
      expect(files).toContain(`packages/${pkg}/README.md`);
    }
    expect(files).toContain("README.md");
  });

  it("each run or carry a `<!-- check: skip <reason> -->` mark", () => {
    const unchecked = blocks.filter((block) => block.mode === undefined).map(where);
    expect(unchecked).toEqual([]);
    const skippedWithoutReason = blocks.filter((block) => block.mode === "skip" && block.reason === "").map(where);
    expect(skippedWithoutReason).toEqual([]);
  });

  it("every expected output belongs to an executed block", () => {
    const keys = blocks.filter((block) => block.mode === "run" || block.mode === "with-api").map(outputKey);
    expect(Object.keys(expectedOutput).filter((key) => !keys.includes(key))).toEqual([]);
  });

  it("every server example has a probe", () => {
    const servers = blocks.filter((block) => block.mode === "server").map((block) => block.file);
    expect(servers.filter((file) => !(file in probes))).toEqual([]);
  });
});

describe.each(blocks.filter((block) => block.mode === "json").map((block) => [where(block), block] as const))(
  "%s (json)",
  (_name, block) => {
    it("parses", () => {
      expect(() => JSON.parse(block.code) as unknown).not.toThrow();
    });
  },
);

describe.each(blocks.filter((block) => block.mode === "run").map((block) => [where(block), block] as const))(
  "%s",
  (_name, block) => {
    let running: Running | undefined;
    afterAll(() => stopGroup(running));

    it("runs to exit 0", async () => {
      running = runExample(block);
      const exit = await running.exited;
      expect({ ...exit, output: running.output() }).toMatchObject({ code: 0, signal: null });
      expect(running.output()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
      expectOutput(block, running);
    });
  },
);

describe.each(blocks.filter((block) => block.mode === "server").map((block) => [where(block), block] as const))(
  "%s (server)",
  (_name, block) => {
    let running: Running | undefined;
    afterAll(() => stopGroup(running));

    it("prints its URL, answers, and exits 0 on SIGTERM", async () => {
      running = runExample(block);
      const [url] = await running.waitFor(/(?:ws|http):\/\/127\.0\.0\.1:\d+\S*/);
      await probes[block.file]?.(url);
      running.child.kill("SIGTERM");
      expect(await running.exited).toEqual({ code: 0, signal: null });
    });
  },
);

describe.each(blocks.filter((block) => block.mode === "with-api").map((block) => [where(block), block] as const))(
  "%s (with the API)",
  (_name, block) => {
    let api: ApiServer | undefined;
    let running: Running | undefined;
    beforeAll(async () => {
      api = await startApi();
    });
    afterAll(async () => {
      await stopGroup(running);
      await api?.stop();
    });

    it("runs to exit 0 against the API at $CONDUIT_URL", async () => {
      running = runExample(block, { CONDUIT_URL: api?.url ?? "" });
      const exit = await running.exited;
      expect({ ...exit, output: running.output() }).toMatchObject({ code: 0, signal: null });
      expect(running.output()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
      expectOutput(block, running);
    });
  },
);
