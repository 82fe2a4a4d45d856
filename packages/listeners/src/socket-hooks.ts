import type { ListKind, McpKind } from "@conduit/protocol";
import { rethrowAll } from "./rethrow-all.js";
import type { SseStreamRegistry } from "./sse-stream-registry.js";

/** What an attached WebSocket reports about its agents' streams (the shape of ws-server's `StreamHooks`). */
export interface SocketStreamHooks {
  onReleased(responseIds: readonly string[]): void;
  onListChanged(responseId: string, mcp: McpKind, list: ListKind): number;
  onUpstreamMessage(responseId: string, mcp: McpKind, sessionId: string | undefined, text: string): boolean;
}

/**
 * Serves a socket's hooks from `streams`: a released id's streams are closed
 * (and its replay events forgotten), list_changed is published to every
 * stream of (id, mcp), an upstream message is queued on one of them.
 */
export function socketHooksFor(streams: SseStreamRegistry): SocketStreamHooks {
  return {
    onReleased(responseIds) {
      const errors: unknown[] = [];
      for (const id of responseIds) {
        try {
          streams.closeAll(id);
        } catch (error) {
          // One id's throwing handler must not keep the other ids' streams open.
          errors.push(error);
        }
      }
      rethrowAll(errors);
    },
    onListChanged: (responseId, mcp, list) => streams.publish(responseId, mcp, list),
    onUpstreamMessage: (responseId, mcp, sessionId, text) => streams.deliver(responseId, mcp, sessionId, text),
  };
}
