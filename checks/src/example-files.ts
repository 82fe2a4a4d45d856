import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isTypeScript, type ReadmeBlock } from "./readme-blocks.js";

/** Where README blocks are written to run: inside this package, so bare imports resolve through its node_modules. */
export const examplesDir = join(import.meta.dirname, "..", ".examples");

/** Writes the block to a file named after its README and line; returns the path. */
export function writeExample(block: ReadmeBlock): string {
  mkdirSync(examplesDir, { recursive: true });
  const name = `${block.file.replace(/[/\\]/g, "_").replace(/\.md$/, "")}-L${block.line}.${isTypeScript(block) ? "ts" : "mjs"}`;
  const path = join(examplesDir, name);
  writeFileSync(path, `${block.code}\n`);
  return path;
}

/** Node flags for a block: TypeScript blocks run with type stripping, as their READMEs say. */
export function nodeArgs(block: ReadmeBlock, path: string): string[] {
  return isTypeScript(block) ? ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", path] : [path];
}
