import { readFileSync } from "node:fs";
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
