import type { ListKind, McpKind } from "@conduit/protocol";

/**
 * What a socket tells the owner of its agents' GET-SSE streams. ws-server
 * keeps no streams itself: the caller wires these to its stream registry
 * (apps/api: `SseStreamRegistry` of @conduit/listeners). A hook that throws
 * is logged and does not affect the socket.
 */
export interface StreamHooks {
  /**
   * The socket ended and released these ids: each was registered by it and
   * still routed to it (an id another socket took over is not included).
   * Their streams have nobody left to serve them.
   */
  onReleased(responseIds: readonly string[]): void;
  /** `mcp_list_changed` for one id this socket owns: signal its streams; returns how many were signalled. */
  onListChanged(responseId: string, mcp: McpKind, list: ListKind): number;
  /**
   * An upstream message that belongs to no request, for an id this socket
   * owns: queue it on one stream of (responseId, mcp). False when no stream took it.
   */
  onUpstreamMessage(responseId: string, mcp: McpKind, sessionId: string | undefined, text: string): boolean;
}
