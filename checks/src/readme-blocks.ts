import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * How a README code block is checked, from the `<!-- check: … -->` comment on the line before its fence:
 * - `run` (the default for js/ts blocks): executed with Node; it must exit 0.
 * - `server`: a long-running example started with `PORT=0`; it must print its URL, answer a probe and
 *   exit 0 on SIGTERM.
 * - `with-api`: executed while the built API runs on an ephemeral port, given as `$CONDUIT_URL`.
 * - `json` (the default for json blocks): must parse.
 * - `skip <reason>`: not meant to run (a shell session, an output sample, a fragment of a table).
 */
export type CheckMode = "run" | "server" | "with-api" | "json" | "skip";

export interface ReadmeBlock {
  /** Path from the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  mode: CheckMode | undefined;
  reason: string;
}

const RUNNABLE = new Set(["js", "mjs", "ts", "mts"]);
const MARKER = /^<!--\s*check:\s*(run|server|with-api|json|skip)\b\s*(.*?)\s*-->$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git", ".turbo", ".examples", ".test-results"]);

/** Every README.md in the repository, outside dependencies and build output. */
export function findReadmes(root: string, dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) found.push(...findReadmes(root, join(dir, entry.name)));
    else if (entry.isFile() && entry.name === "README.md") found.push(relative(root, join(dir, entry.name)));
  }
  return found.sort();
}

/** The fenced blocks of one README, each with the mode its marker (or its language) gives it. */
export function readmeBlocks(root: string, file: string): ReadmeBlock[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(`{3,})\s*([\w-]*)/.exec(lines[i] ?? "");
    if (!open) continue;
    const fence = open[1] ?? "```";
    const lang = open[2] ?? "";
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? "").startsWith(fence)) end += 1;
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? "").trim() === "") before -= 1;
    const marker = MARKER.exec((lines[before] ?? "").trim());
    const mode =
      (marker?.[1] as CheckMode | undefined) ?? (RUNNABLE.has(lang) ? "run" : lang === "json" ? "json" : undefined);
    blocks.push({ file, line: i + 1, lang, code: lines.slice(i + 1, end).join("\n"), mode, reason: marker?.[2] ?? "" });
    i = end;
  }
  return blocks;
}

export function isTypeScript(block: ReadmeBlock): boolean {
  return block.lang === "ts" || block.lang === "mts";
}
