// Every non-private package under packages/ is packed as it would be published, installed into a scratch
// project outside the workspace (offline: third-party dependencies link to the workspace's installed
// copies) and used from ESM and CommonJS; every export map entry resolves, and the bins run.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAndInstall, publishedPackages } from "../src/pack.js";
import { workspaceRoot } from "../src/workspace.js";
import { usageProgram, usages } from "./packed-usage.js";

interface Manifest {
  name: string;
  version: string;
  license?: string;
  repository?: { type: string; url: string; directory?: string };
  homepage?: string;
  keywords?: string[];
  engines?: { node?: string };
  bin?: Record<string, string>;
  exports: Record<string, string | Record<string, Record<string, string>>>;
  dependencies?: Record<string, string>;
}

const names = publishedPackages();
let scratch = "";

const packageDir = (name: string): string => join(scratch, "node_modules", "@conduit", name);
const manifestOf = (name: string): Manifest =>
  JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as Manifest;

/** Runs node on a file in the scratch project, returning stdout (throws with stderr on failure). */
function runNode(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: scratch, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  scratch = packAndInstall(names);
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

it("finds the published packages under packages/", () => {
  expect(names).toEqual(
    expect.arrayContaining(["client", "listeners", "mcp-route", "protocol", "registry", "ws-server"]),
  );
});

describe.each(names)("@conduit/%s, packed and installed", (name) => {
  it("ships dist, its README and the LICENSE, with workspace ranges rewritten", () => {
    const files = readdirSync(packageDir(name));
    expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "dist", "package.json"]));
    expect(files.filter((file) => !["README.md", "LICENSE", "dist", "package.json", "bin"].includes(file))).toEqual([]);
    for (const range of Object.values(manifestOf(name).dependencies ?? {})) expect(range).not.toMatch(/^workspace:/);
    expect(readFileSync(join(packageDir(name), "LICENSE"), "utf8")).toBe(
      readFileSync(join(workspaceRoot, "LICENSE"), "utf8"),
    );
  });

  it("carries license, repository, homepage, keywords and engines", () => {
    const manifest = manifestOf(name);
    expect(manifest.license).toBe("MIT");
    expect(manifest.repository).toMatchObject({ type: "git", directory: `packages/${name}` });
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.keywords?.length).toBeGreaterThan(0);
    expect(manifest.engines?.node).toBe(">=22.12");
  });

  it("resolves every export map entry from ESM and CommonJS, and their type files exist", () => {
    const manifest = manifestOf(name);
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const specifier = `${manifest.name}${subpath.slice(1)}`;
      const esm = join(scratch, `resolve-${name}.mjs`);
      writeFileSync(esm, `console.log(import.meta.resolve(${JSON.stringify(specifier)}));`);
      expect(runNode(esm)).toMatch(new RegExp(`node_modules/@conduit/${name}/`));
      const cjs = join(scratch, `resolve-${name}.cjs`);
      writeFileSync(cjs, `console.log(require.resolve(${JSON.stringify(specifier)}));`);
      expect(runNode(cjs)).toMatch(new RegExp(`node_modules/@conduit/${name}/`));
      if (typeof target === "object") {
        for (const condition of Object.values(target)) {
          for (const file of Object.values(condition)) expect(existsSync(join(packageDir(name), file))).toBe(true);
        }
      }
    }
  });

  it.skipIf(!(name in usages))("works from ESM (import)", () => {
    const usage = usages[name]!;
    const file = join(scratch, `use-${name}.mjs`);
    writeFileSync(file, usageProgram(usage, "esm"));
    expect(JSON.parse(runNode(file))).toEqual(usage.expected);
  });

  it.skipIf(!(name in usages))("works from CommonJS (require)", () => {
    const usage = usages[name]!;
    const file = join(scratch, `use-${name}.cjs`);
    writeFileSync(file, usageProgram(usage, "cjs"));
    expect(JSON.parse(runNode(file))).toEqual(usage.expected);
  });
});

describe("the `conduit` bin of the packed client", () => {
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: `${join(scratch, "node_modules", ".bin")}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
  });
  const conduit = (...args: string[]) => spawnSync("conduit", args, { cwd: scratch, env: env(), encoding: "utf8" });

  it("is declared and runs `--help`", () => {
    expect(Object.keys(manifestOf("client").bin ?? {})).toEqual(["conduit"]);
    const help = conduit("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/attach/);
  });

  it("prints the package version with `--version` (once the CLI has the flag)", (context) => {
    if (!/--version/.test(conduit("--help").stdout)) context.skip();
    const version = conduit("--version");
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toContain(manifestOf("client").version);
  });
});
