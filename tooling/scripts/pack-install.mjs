// Packs workspace packages as they would be published and installs the tarballs
// into a scratch project outside the workspace, without any network or package
// cache: each tarball is unpacked into node_modules, and each third-party
// dependency its packed manifest declares is linked to the copy the workspace
// install already holds. A dependency the dist uses but the manifest does not
// declare is therefore missing, as it would be for a user. Each `bin` the packed
// manifest declares is linked into node_modules/.bin, as npm does.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

export const workspaceRoot = resolve(import.meta.dirname, "../..");

const pnpmVersion = JSON.parse(readFileSync(join(workspaceRoot, "package.json"), "utf8")).packageManager.split("@")[1];

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The pnpm running this process (pnpm sets npm_execpath), else the pinned one through npx. */
function pnpm(args, cwd) {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return run(process.execPath, [execPath, ...args], cwd);
  return run("npx", ["-y", `pnpm@${pnpmVersion}`, ...args], cwd);
}

function readManifest(dir) {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
}

/** The folder names under packages/ whose package.json is not private: what gets published. */
export function publishedPackages() {
  const packagesDir = join(workspaceRoot, "packages");
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, "package.json")))
    .map((entry) => entry.name)
    .filter((name) => readManifest(join(packagesDir, name)).private !== true)
    .sort();
}

/**
 * Packs `packages/<name>` for every name, installs the tarballs into a new
 * scratch folder under the OS temp dir and returns its path. Packages are
 * unpacked in the order given; a `@conduit/*` dependency resolves to the
 * unpacked tarball, any other to the workspace's installed copy.
 */
export function packAndInstall(names) {
  const scratch = mkdtempSync(join(tmpdir(), "conduit-pack-"));
  const tarballs = join(scratch, "tarballs");
  mkdirSync(tarballs);
  const modules = join(scratch, "node_modules");
  mkdirSync(join(modules, "@conduit"), { recursive: true });
  for (const name of names) {
    const packageDir = join(workspaceRoot, "packages", name);
    const before = new Set(readdirSync(tarballs));
    pnpm(["pack", "--pack-destination", tarballs], packageDir);
    const tarball = readdirSync(tarballs).find((file) => !before.has(file));
    const target = join(modules, "@conduit", name);
    mkdirSync(target);
    run("tar", ["-xzf", join(tarballs, tarball), "-C", target, "--strip-components=1"], scratch);
    const manifest = readManifest(target);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (dependency.startsWith("@conduit/")) continue;
      linkDependency(modules, packageDir, dependency);
    }
    linkBins(modules, target, manifest);
  }
  return scratch;
}

function linkBins(modules, target, manifest) {
  const bins =
    typeof manifest.bin === "string" ? { [manifest.name.split("/").pop()]: manifest.bin } : (manifest.bin ?? {});
  for (const [command, file] of Object.entries(bins)) {
    const binDir = join(modules, ".bin");
    mkdirSync(binDir, { recursive: true });
    const script = join(target, file);
    chmodSync(script, 0o755);
    symlinkSync(relative(binDir, script), join(binDir, command));
  }
}

function linkDependency(modules, packageDir, dependency) {
  const link = join(modules, dependency);
  if (existsSync(link)) return;
  const installed = realpathSync(join(packageDir, "node_modules", dependency));
  mkdirSync(resolve(link, ".."), { recursive: true });
  symlinkSync(installed, link, "dir");
}
