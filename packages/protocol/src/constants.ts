/** The first WebSocket subprotocol: one server_request out, one server_response back. */
export const SUBPROTOCOL = "conduit.v1";
/** The relay subprotocol: v1 plus interim upstream messages, the agent's answers to them, and cancel. */
export const SUBPROTOCOL_V2 = "conduit.v2";
/** What a client offers and a server accepts, most preferred first. */
export const SUBPROTOCOLS: readonly string[] = [SUBPROTOCOL_V2, SUBPROTOCOL];

export type ProtocolVersion = 1 | 2;

/** The protocol version a negotiated subprotocol stands for (v1 for anything else). */
export function protocolVersionOf(subprotocol: string | undefined): ProtocolVersion {
  return subprotocol === SUBPROTOCOL_V2 ? 2 : 1;
}

/** The subprotocol a server picks from those offered: v2 before v1; undefined when neither is offered. */
export function pickSubprotocol(offered: ReadonlySet<string>): string | undefined {
  for (const candidate of SUBPROTOCOLS) if (offered.has(candidate)) return candidate;
  return undefined;
}

/** HTTP header names, lower-cased as node:http presents them. */
export const Header = {
  ResponseId: "x-objectiveai-response-id",
  Arguments: "x-objectiveai-arguments",
  McpSessionId: "mcp-session-id",
  McpProtocolVersion: "mcp-protocol-version",
} as const;

/** The server_request method a DELETE on the MCP route becomes. */
export const SESSION_TERMINATE = "session/terminate";

/** The MCP notification that cancels a request in flight. */
export const CANCELLED_NOTIFICATION = "notifications/cancelled";
/** The MCP notification that reports progress of a request, by its progressToken. */
export const PROGRESS_NOTIFICATION = "notifications/progress";

export const LIST_KINDS = ["tools", "resources", "prompts"] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export function isListKind(value: unknown): value is ListKind {
  return value === "tools" || value === "resources" || value === "prompts";
}

/** The MCP notification method that says `list` changed. */
export function listChangedMethod(list: ListKind): `notifications/${ListKind}/list_changed` {
  return `notifications/${list}/list_changed`;
}
