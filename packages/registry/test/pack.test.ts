// Packs @conduit/protocol and @conduit/registry as they would be published,
// installs the tarballs into a scratch project outside the workspace (offline:
// no registry, no package cache) and uses them from ESM and from CommonJS.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs helper of the tooling folder, typed loosely on purpose
import { packAndInstall } from "../../../tooling/scripts/pack-install.mjs";

let scratch: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  scratch = (packAndInstall as (names: string[]) => string)(["protocol", "registry"]);
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("published packages", () => {
  it("ship only dist and the README, with workspace ranges rewritten", () => {
    const manifest = JSON.parse(
      readFileSync(join(scratch, "node_modules", "@conduit", "registry", "package.json"), "utf8"),
    ) as { dependencies: Record<string, string> };
    expect(manifest.dependencies["@conduit/protocol"]).toMatch(/^\^?\d+\.\d+\.\d+$/);
    const files = readdirSync(join(scratch, "node_modules", "@conduit", "registry")).sort();
    expect(files).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
  });

  it("import from ESM outside the workspace", () => {
    writeFileSync(
      join(scratch, "esm.mjs"),
      [
        'import { parseMcpKind } from "@conduit/protocol";',
        'import { ReverseChannel, ReverseChannelRegistry, ReverseAttachGuard } from "@conduit/registry";',
        "const registry = new ReverseChannelRegistry();",
        "const channel = new ReverseChannel({ write: () => {} });",
        "const guard = new ReverseAttachGuard(registry, channel);",
        'guard.register("resp_a");',
        'console.log(JSON.stringify({ kind: parseMcpKind("acme/files/1.0.0/fs").ok, size: registry.size, released: guard.release() }));',
      ].join("\n"),
    );
    expect(JSON.parse(run(process.execPath, ["esm.mjs"], scratch))).toEqual({
      kind: true,
      size: 1,
      released: ["resp_a"],
    });
  });

  it("require from CommonJS outside the workspace", () => {
    writeFileSync(
      join(scratch, "cjs.cjs"),
      [
        'const { CloseCode } = require("@conduit/protocol");',
        'const { SessionTracker } = require("@conduit/registry");',
        "const tracker = new SessionTracker();",
        'tracker.observe({ id: "resp_b" });',
        'console.log(JSON.stringify({ normal: CloseCode.Normal, seen: tracker.has("resp_b") }));',
      ].join("\n"),
    );
    expect(JSON.parse(run(process.execPath, ["cjs.cjs"], scratch))).toEqual({ normal: 1000, seen: true });
  });
});
