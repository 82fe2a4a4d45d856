/**
 * McpKind: which MCP server a request is for. Either the built-in `objectiveai`
 * or `owner/name/version/mcp`, each segment `[A-Za-z0-9._-]{1,128}` and not made
 * of dots alone (so a kind can never spell a path traversal).
 */
export type McpKind = string & { readonly __brand: "McpKind" };

export const OBJECTIVEAI_MCP = "objectiveai" as McpKind;

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;
const DOTS_ONLY = /^\.+$/;

export type McpKindResult = { ok: true; kind: McpKind } | { ok: false; reason: string };

function isValidSegment(segment: string): boolean {
  return SEGMENT.test(segment) && !DOTS_ONLY.test(segment);
}

/** Parses the canonical string form (`objectiveai` or `owner/name/version/mcp`). */
export function parseMcpKind(text: string): McpKindResult {
  if (text === OBJECTIVEAI_MCP) return { ok: true, kind: OBJECTIVEAI_MCP };
  const segments = text.split("/");
  if (segments.length !== 4) {
    return { ok: false, reason: "an mcp is `objectiveai` or `owner/name/version/mcp`" };
  }
  for (const segment of segments) {
    if (!isValidSegment(segment)) {
      return {
        ok: false,
        reason: `invalid mcp segment ${JSON.stringify(segment.slice(0, 40))}: each segment is 1-128 of [A-Za-z0-9._-] and not only dots`,
      };
    }
  }
  return { ok: true, kind: text as McpKind };
}

export function isMcpKind(text: unknown): text is McpKind {
  return typeof text === "string" && parseMcpKind(text).ok;
}

/** `/objectiveai` ↔ `objectiveai`, `/acme/files/1.0.0/fs` ↔ `acme/files/1.0.0/fs`. */
export function mcpKindFromPath(pathname: string): McpKindResult {
  if (pathname.charCodeAt(0) !== 47 /* "/" */) return { ok: false, reason: "path must start with /" };
  return parseMcpKind(pathname.slice(1));
}

export function mcpKindToPath(kind: McpKind): string {
  return `/${kind}`;
}
