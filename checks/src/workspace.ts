import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const workspaceRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface RootManifest {
  packageManager: string;
  engines: { node: string };
  scripts: Record<string, string>;
}

export function rootManifest(): RootManifest {
  return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as RootManifest;
}

/** The pinned pnpm, as the README runs it: `npx -y pnpm@<version>`. */
export function pinnedPnpm(): string[] {
  return ["npx", "-y", `pnpm@${rootManifest().packageManager.split("@")[1]}`];
}

/**
 * PATH with the pinned pnpm's directory first: turbo needs a `pnpm` binary on PATH, which `pnpm start`
 * provides and a bare `node tooling/scripts/start.mjs` in a test does not.
 */
export function pathWithPnpm(): string {
  const [npx = "npx", ...args] = pinnedPnpm();
  const found = execFileSync(npx, [...args, "exec", "which", "pnpm"], {
    cwd: workspaceRoot,
    encoding: "utf8",
    env: { ...process.env, npm_config_prefer_offline: "true" },
  }).trim();
  return `${dirname(found)}${delimiter}${process.env.PATH ?? ""}`;
}
