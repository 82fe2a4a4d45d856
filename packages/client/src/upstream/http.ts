import { Header, encodeArgumentsHeader, type McpArguments } from "@conduit/protocol";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { UpstreamSpec } from "../types.js";
import type { RequestHooks } from "./jsonrpc-peer.js";

type HttpSpec = Extract<UpstreamSpec, { kind: "http" }>;
type Fetch = typeof fetch;

/**
 * A Streamable HTTP transport to the upstream. Non-empty initialize arguments
 * travel in `X-OBJECTIVEAI-ARGUMENTS` (there are no flags to turn them into).
 * Each request goes through `requests.fetch`, which adds that request's own
 * headers and stream (see HttpRequests).
 */
export function createHttpTransport(
  spec: HttpSpec,
  args: McpArguments,
  requests: HttpRequests,
): StreamableHTTPClientTransport {
  const headers: Record<string, string> = { ...spec.headers };
  if (Object.keys(args).length > 0) headers[Header.Arguments] = encodeArgumentsHeader(args);
  return new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers }, fetch: requests.fetch });
}

/** The SDK transport serialises a request as `{"jsonrpc":"2.0","id":N,…`: its id is read without parsing the body. */
const REQUEST_ID = /^\{"jsonrpc":"2\.0","id":(\d{1,15}),/;

/**
 * What the SDK 1.x transport cannot do per request, for MCP 2026-07-28 HTTP
 * upstreams: send that request's own headers (`MCP-Protocol-Version`,
 * `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`, which a 2026 server checks against
 * the body) and close that request's response stream (the revision's cancel).
 * The peer registers each request before sending it; the transport's fetch
 * finds it by the JSON-RPC id at the head of the body.
 */
export class HttpRequests implements RequestHooks {
  readonly #requests = new Map<number, { headers: Record<string, string> | undefined; controller: AbortController }>();

  beforeSend(id: number, headers: Record<string, string> | undefined): void {
    this.#requests.set(id, { headers, controller: new AbortController() });
  }

  abort(id: number): void {
    this.#requests.get(id)?.controller.abort();
    this.#requests.delete(id);
  }

  release(id: number): void {
    this.#requests.delete(id);
  }

  get size(): number {
    return this.#requests.size;
  }

  readonly fetch: Fetch = (input, init) => {
    const body = init?.body;
    const match = init?.method === "POST" && typeof body === "string" ? REQUEST_ID.exec(body) : null;
    const entry = match === null ? undefined : this.#requests.get(Number(match[1]));
    if (entry === undefined) return fetch(input, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(entry.headers ?? {})) headers.set(name, value);
    const signal =
      init?.signal === undefined || init.signal === null
        ? entry.controller.signal
        : AbortSignal.any([init.signal, entry.controller.signal]);
    return fetch(input, { ...init, headers, signal });
  };
}

/** The headers of an agent's request that an HTTP upstream of MCP 2026-07-28 checks against the body. */
export function upstreamRequestHeaders(headers: Record<string, string>): Record<string, string> | undefined {
  let picked: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (
      lower === Header.McpProtocolVersion ||
      lower === "mcp-method" ||
      lower === "mcp-name" ||
      lower.startsWith("mcp-param-")
    ) {
      (picked ??= {})[lower] = value;
    }
  }
  return picked;
}
