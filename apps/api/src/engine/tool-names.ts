import { createHash } from "node:crypto";
import type { McpKind } from "@conduit/protocol";

/** What a function name offered to the LLM stands for. */
export interface ToolTarget {
  mcp: McpKind;
  tool: string;
}

export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

function sanitize(text: string): string {
  const clean = text.replace(/[^a-zA-Z0-9_-]/g, "_");
  return clean.length > 0 ? clean : "_";
}

/** `objectiveai` → `objectiveai`; `acme/files/1.0.0/fs` → `fs` (the mcp segment). */
export function mcpAlias(mcp: McpKind): string {
  const segments = mcp.split("/");
  return sanitize(segments[segments.length - 1] ?? mcp);
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** Cuts `name` to fit 64 characters with `suffix` appended. */
function fit(name: string, suffix: string): string {
  return `${name.slice(0, MAX - suffix.length)}${suffix}`;
}

/**
 * Names every (mcp, tool) as `<alias>__<tool>` matching ^[a-zA-Z0-9_-]{1,64}$
 * and returns the map back. A name that had to be sanitised or cut, or that
 * collides with an earlier one, gets a short hash of its mcp and tool so the
 * map stays one-to-one; the order of `targets` decides who keeps the plain name.
 */
export function buildToolNames(targets: readonly ToolTarget[]): Map<string, ToolTarget> {
  const names = new Map<string, ToolTarget>();
  for (const target of targets) {
    const plain = `${mcpAlias(target.mcp)}__${sanitize(target.tool)}`;
    const exact = plain === `${mcpAlias(target.mcp)}__${target.tool}` && plain.length <= MAX;
    let name = exact ? plain : fit(plain, `_${shortHash(`${target.mcp}\n${target.tool}`)}`);
    for (let attempt = 2; names.has(name); attempt += 1) {
      name = fit(plain, `_${shortHash(`${target.mcp}\n${target.tool}\n${attempt}`)}`);
    }
    names.set(name, target);
  }
  return names;
}
