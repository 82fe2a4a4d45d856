import type { UpstreamSpec } from "./types.js";
import { forLog } from "./log-text.js";

/**
 * The mcps the request body declares in `client_objectiveai_mcp.mcps` (SPEC §5, §8): the only ones
 * the client serves. Anything but an array of strings there declares nothing.
 */
export function declaredMcps(body: unknown): ReadonlySet<string> {
  const section = isRecord(body) ? body.client_objectiveai_mcp : undefined;
  const mcps = isRecord(section) ? section.mcps : undefined;
  if (!Array.isArray(mcps) || !mcps.every((mcp): mcp is string => typeof mcp === "string")) return new Set();
  return new Set(mcps);
}

/** One warning per configured upstream that is not declared, and per declared mcp without an upstream. */
export function declarationWarnings(
  declared: ReadonlySet<string>,
  upstreams: ReadonlyMap<string, UpstreamSpec>,
): string[] {
  const warnings: string[] = [];
  for (const mcp of upstreams.keys()) {
    if (!declared.has(mcp)) {
      warnings.push(
        `mcp ${forLog(mcp)} has an upstream configured but is not declared by the request body (client_objectiveai_mcp.mcps): it will not be served`,
      );
    }
  }
  for (const mcp of declared) {
    if (!upstreams.has(mcp)) {
      warnings.push(
        `mcp ${forLog(mcp)} is declared by the request body but has no upstream configured: its initialize will fail with -32004`,
      );
    }
  }
  return warnings;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
