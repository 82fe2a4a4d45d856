import type { McpArguments } from "./schemas/common.js";

/** `params` of an `initialize` server_request. */
export interface InitializeServerRequestParams {
  /** Decoded from `X-OBJECTIVEAI-ARGUMENTS`. */
  arguments: McpArguments;
  /** The MCP client's own InitializeRequest params, verbatim. */
  initialize: unknown;
}

/** `result` of the server_response to an `initialize` server_request. */
export interface InitializeServerResponseResult {
  /** The upstream's InitializeResult, verbatim. */
  result: unknown;
  /** Becomes the `Mcp-Session-Id` response header. */
  mcp_session_id: string;
}

export function isInitializeServerResponseResult(value: unknown): value is InitializeServerResponseResult {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.mcp_session_id === "string" &&
    candidate.mcp_session_id.length > 0 &&
    typeof candidate.result === "object" &&
    candidate.result !== null
  );
}
