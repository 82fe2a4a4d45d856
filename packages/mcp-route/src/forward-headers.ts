import type { IncomingMessage } from "node:http";

/** Hop-by-hop and transport headers that are not forwarded (SPEC §5); `proxy-*` is dropped by prefix. */
const SKIPPED: ReadonlySet<string> = new Set([
  "host",
  "connection",
  "content-length",
  "content-type",
  "accept",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
]);

// Connection tokens that are options, not header names.
const CONNECTION_OPTIONS: ReadonlySet<string> = new Set(["keep-alive", "close", "upgrade"]);

function isProxyHeader(name: string): boolean {
  return name.length > 6 && name.startsWith("proxy-");
}

function isProtected(name: string): boolean {
  return name.startsWith("x-objectiveai-") || name === "mcp-session-id";
}

/**
 * The request headers for a server_request: lower-case names, hop-by-hop and
 * transport headers removed, repeated headers joined with ", " in arrival
 * order. One pass over `req.rawHeaders`. Headers nominated by `Connection`
 * are hop-by-hop too (RFC 9110 §7.6.1) and dropped — except `x-objectiveai-*`
 * and `mcp-session-id`, which always pass through unchanged.
 */
export function forwardHeaders(req: IncomingMessage): Record<string, string> {
  const raw = req.rawHeaders;
  // No prototype: a header called `__proto__` is just a header.
  const out = Object.create(null) as Record<string, string>;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (SKIPPED.has(name)) {
      if (name === "connection") connection = connection === undefined ? value : `${connection}, ${value}`;
      continue;
    }
    if (isProxyHeader(name)) continue;
    const previous = out[name];
    out[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  if (connection !== undefined) dropNominated(out, connection);
  return out;
}

function dropNominated(out: Record<string, string>, connection: string): void {
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name.length === 0 || CONNECTION_OPTIONS.has(name) || isProtected(name)) continue;
    delete out[name];
  }
}
