import { Header, encodeArgumentsHeader, type McpArguments } from "@conduit/protocol";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { UpstreamSpec } from "../types.js";

type HttpSpec = Extract<UpstreamSpec, { kind: "http" }>;

/**
 * A Streamable HTTP transport to the upstream. Non-empty initialize arguments
 * travel in `X-OBJECTIVEAI-ARGUMENTS` (there are no flags to turn them into).
 */
export function createHttpTransport(spec: HttpSpec, args: McpArguments): StreamableHTTPClientTransport {
  const headers: Record<string, string> = { ...spec.headers };
  if (Object.keys(args).length > 0) headers[Header.Arguments] = encodeArgumentsHeader(args);
  return new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers } });
}
