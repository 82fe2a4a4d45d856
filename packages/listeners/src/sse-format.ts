import { LIST_KINDS, listChangedMethod } from "@conduit/protocol";
import type { ListKind } from "@conduit/protocol";

/** The SSE comment written every keepalive period so idle proxies keep the stream open. */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/** Response headers of a GET-SSE notifications stream. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
};

const EVENTS = new Map<ListKind, string>(
  LIST_KINDS.map((list) => [list, `data: ${JSON.stringify({ jsonrpc: "2.0", method: listChangedMethod(list) })}\n\n`]),
);

/**
 * The exact SSE event text for one list_changed signal, e.g.
 * `data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n`.
 */
export function formatListChangedEvent(list: ListKind): string {
  const event = EVENTS.get(list);
  if (event === undefined) throw new RangeError(`unknown list kind: ${String(list)}`);
  return event;
}

/**
 * One SSE event carrying one JSON-RPC message text (which has no line breaks:
 * it is JSON.stringify output), with its event id when it has one.
 */
export function formatMessageEvent(json: string, id?: string): string {
  return id === undefined ? `event: message\ndata: ${json}\n\n` : `id: ${id}\nevent: message\ndata: ${json}\n\n`;
}
