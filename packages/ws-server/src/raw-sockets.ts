import type { CorkableStream } from "@conduit/protocol";
import type { WebSocket } from "ws";

/**
 * The TCP socket under each WebSocket this package upgraded. `ws` keeps it
 * private; the writer corks it to batch a turn's frames (TurnWriteBatch).
 */
const rawSockets = new WeakMap<WebSocket, CorkableStream>();

export function rememberRawSocket(ws: WebSocket, raw: CorkableStream): void {
  rawSockets.set(ws, raw);
}

/** Undefined for a WebSocket upgraded elsewhere: its frames are then written one by one. */
export function rawSocketOf(ws: WebSocket): CorkableStream | undefined {
  return rawSockets.get(ws);
}
