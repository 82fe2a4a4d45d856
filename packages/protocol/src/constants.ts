/** The WebSocket subprotocol a client must offer. */
export const SUBPROTOCOL = "conduit.v1";

/** HTTP header names, lower-cased as node:http presents them. */
export const Header = {
  ResponseId: "x-objectiveai-response-id",
  Arguments: "x-objectiveai-arguments",
  McpSessionId: "mcp-session-id",
} as const;

/** The server_request method a DELETE on the MCP route becomes. */
export const SESSION_TERMINATE = "session/terminate";

/** MCP request methods the route forwards generically (besides `initialize`). */
export const FORWARDED_MCP_METHODS: ReadonlySet<string> = new Set([
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/read",
  "resources/templates/list",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
]);

export const LIST_KINDS = ["tools", "resources", "prompts"] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export function isListKind(value: unknown): value is ListKind {
  return value === "tools" || value === "resources" || value === "prompts";
}

/** The MCP notification method that says `list` changed. */
export function listChangedMethod(list: ListKind): `notifications/${ListKind}/list_changed` {
  return `notifications/${list}/list_changed`;
}
