/** What a `ws` 'message' event carries (ws's RawData), without depending on ws. */
export type WebSocketData = Buffer | ArrayBuffer | readonly Buffer[];

/** A WebSocket message's payload as UTF-8 text, whichever form `ws` delivered it in. */
export function webSocketDataText(data: WebSocketData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return Buffer.concat(data).toString("utf8");
}
