import { MAX_TIMER_MS, parseMcpKind } from "@conduit/protocol";
import type { UpstreamSpec } from "./types.js";
import { checkUpstreamLimits } from "./upstream/limits.js";

/** `ws(s)://` as is; `http(s)://` mapped to `ws(s)://`; anything else is a TypeError. */
export function toWebSocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(typeof input === "string" ? input : input.href);
  } catch {
    throw new TypeError(`invalid url ${JSON.stringify(String(input))}`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new TypeError(`url must be ws://, wss://, http:// or https://, got ${url.protocol}`);
  }
  return url;
}

/** Checks every key with parseMcpKind and every spec's shape; TypeError on the first bad one. */
export function validateMcps(mcps: Record<string, UpstreamSpec> | undefined): Map<string, UpstreamSpec> {
  const out = new Map<string, UpstreamSpec>();
  for (const [kind, spec] of Object.entries(mcps ?? {})) {
    const parsed = parseMcpKind(kind);
    if (!parsed.ok) throw new TypeError(`invalid mcp ${JSON.stringify(kind)}: ${parsed.reason}`);
    out.set(parsed.kind, checkSpec(kind, spec));
    checkUpstreamLimits(kind, spec);
  }
  return out;
}

function checkSpec(kind: string, spec: UpstreamSpec): UpstreamSpec {
  if (spec.kind === "stdio") {
    if (typeof spec.command !== "string" || spec.command.length === 0) {
      throw new TypeError(`mcp ${kind}: a stdio upstream needs a command`);
    }
    return spec;
  }
  if (spec.kind === "http") {
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      throw new TypeError(`mcp ${kind}: invalid upstream url ${JSON.stringify(spec.url)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`mcp ${kind}: an http upstream url must be http:// or https://`);
    }
    return spec;
  }
  throw new TypeError(`mcp ${kind}: upstream kind must be "stdio" or "http"`);
}

/** The largest delay a Node timer honours; past it (or below 1) the timer fires after 1 ms. */
export const MAX_TIMEOUT_MS = MAX_TIMER_MS;

/** A time limit in ms: an integer in 1..MAX_TIMEOUT_MS; RangeError for another number, TypeError for a non-number. */
export function validateTimeoutMs(name: string, value: number): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new RangeError(`${name} must be an integer from 1 to ${MAX_TIMEOUT_MS} (ms), got ${String(value)}`);
  }
  return value;
}

/**
 * Default for maxUpstreams. An upstream such as server-everything is a Node process of about
 * 70 MiB, so 32 bound a session near 2 GiB, while leaving room for a swarm of 8 agents that each
 * open 4 mcps (or 32 agents sharing one).
 */
export const DEFAULT_MAX_UPSTREAMS = 32;

/** A count limit: an integer of at least 1; RangeError for another number, TypeError for a non-number. */
export function validateLimit(name: string, value: number): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  return value;
}

/** The body frame's text; TypeError when the body cannot be JSON-encoded. */
export function encodeBody(body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new TypeError(`the body cannot be encoded as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new TypeError("the body cannot be encoded as JSON");
  return text;
}
