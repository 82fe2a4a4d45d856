// What installing the packed @conduit/client gives a user: every package in
// the closure of its packed manifest's dependencies (with @conduit/protocol's,
// which it depends on), non-optional peer dependencies included, and their
// bytes on disk. Offline: the manifests come from `pnpm pack`, every
// third-party package from the copy the workspace install holds.
//
//   node packages/client/bench/footprint.mjs [workspace root]   (default: this checkout)
import { execFileSync } from "node:child_process";
import console from "node:console";
import { mkdtempSync, readFileSync, readdirSync, realpathSync, lstatSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";

const root = resolve(process.argv[2] ?? join(import.meta.dirname, "../../.."));
const pnpmVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];

/** The manifest of `packages/<name>` as `pnpm pack` writes it (workspace: ranges resolved), and the tarball's size. */
function packed(name) {
  const out = mkdtempSync(join(tmpdir(), "conduit-footprint-"));
  try {
    execFileSync("npx", ["-y", `pnpm@${pnpmVersion}`, "pack", "--pack-destination", out], {
      cwd: join(root, "packages", name),
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tarball = readdirSync(out)[0];
    const manifest = JSON.parse(
      execFileSync("tar", ["-xzOf", join(out, tarball), "package/package.json"], { encoding: "utf8" }),
    );
    const files = execFileSync("tar", ["-tvzf", join(out, tarball)], { encoding: "utf8" });
    const bytes = files
      .split("\n")
      .filter(Boolean)
      .reduce((sum, line) => sum + Number(line.split(/\s+/)[2]), 0);
    return { manifest, bytes };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Bytes of the files of one installed package, its own node_modules (pnpm's links) left out. */
function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

/** The installed copy of `name` as seen from `fromDir` (Node's resolution through pnpm's links). */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = resolve(dir, "..")) {
    try {
      return realpathSync(join(dir, "node_modules", name));
    } catch {
      if (dir === resolve(dir, "..")) throw new Error(`${name} not found from ${fromDir}`);
    }
  }
}

function dependenciesOf(manifest) {
  const optionalPeers = manifest.peerDependenciesMeta ?? {};
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => optionalPeers[name]?.optional !== true);
  return [...Object.keys(manifest.dependencies ?? {}), ...peers];
}

const seen = new Map();
const queue = [];
for (const name of ["client", "protocol"]) {
  const { manifest, bytes } = packed(name);
  seen.set(`${manifest.name}@${manifest.version}`, bytes);
  for (const dependency of dependenciesOf(manifest)) {
    if (!dependency.startsWith("@conduit/")) queue.push([dependency, join(root, "packages", name)]);
  }
}
while (queue.length > 0) {
  const [name, fromDir] = queue.shift();
  let dir;
  try {
    dir = locate(name, fromDir);
  } catch {
    continue; // an optional dependency for another platform
  }
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const key = `${manifest.name}@${manifest.version}`;
  if (seen.has(key)) continue;
  seen.set(key, sizeOf(dir));
  for (const dependency of [...dependenciesOf(manifest), ...Object.keys(manifest.optionalDependencies ?? {})]) {
    queue.push([dependency, dir]);
  }
}
const total = [...seen.values()].reduce((sum, bytes) => sum + bytes, 0);
const largest = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
console.log(`${seen.size} packages, ${(total / 1024 / 1024).toFixed(1)} MiB (${total} bytes) in ${root}`);
console.log(`largest: ${largest.map(([key, bytes]) => `${key} ${(bytes / 1024 / 1024).toFixed(2)} MiB`).join(", ")}`);
