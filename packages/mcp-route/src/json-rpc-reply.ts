import type { ServerResponse } from "node:http";
import { JsonRpcErrorCode, errorMessage, type WireError } from "@conduit/protocol";

/** A JSON-RPC id as the route echoes it (`null` when the request had none or it was unreadable). */
export type JsonRpcId = string | number | null;

function writable(res: ServerResponse): boolean {
  return !res.headersSent && !res.destroyed && !res.writableEnded;
}

/** Writes one `application/json` body. A no-op once the client is gone or a reply was sent. */
export function sendJson(res: ServerResponse, status: number, body: string, sessionId?: string): void {
  if (!writable(res)) return;
  // writeHead with a literal skips the per-header bookkeeping of setHeader on the hot path.
  if (sessionId === undefined) {
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  } else {
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
      "Mcp-Session-Id": sessionId,
    });
  }
  res.end(body);
}

/** `{"jsonrpc":"2.0","id":…,"result":…}` with HTTP 200; `result` is already JSON text. */
export function sendResultJson(res: ServerResponse, id: JsonRpcId, resultJson: string, sessionId?: string): void {
  sendJson(res, 200, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`, sessionId);
}

/** `{"jsonrpc":"2.0","id":…,"error":…}` with the given HTTP status; `error` is passed through as is. */
export function sendErrorObject(res: ServerResponse, status: number, id: JsonRpcId, error: WireError): void {
  sendJson(res, status, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":${JSON.stringify(error)}}`);
}

export function sendError(
  res: ServerResponse,
  status: number,
  id: JsonRpcId,
  code: number,
  message: string,
  data?: unknown,
): void {
  sendErrorObject(res, status, id, data === undefined ? { code, message } : { code, message, data });
}

/** HTTP 202 with no body (notifications and client responses). */
export function sendAccepted(res: ServerResponse): void {
  if (!writable(res)) return;
  res.statusCode = 202;
  res.end();
}

/** 413, then the connection is closed so the unread rest of the body is never taken in. */
export function sendTooLarge(res: ServerResponse, limit: number): void {
  if (!writable(res)) return;
  res.setHeader("Connection", "close");
  sendError(res, 413, null, JsonRpcErrorCode.InvalidRequest, `request body exceeds ${limit} bytes`);
}

/** 500 -32603 for a failure of the route itself; a reply already under way is cut off instead. */
export function sendInternal(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const detail = errorMessage(err);
  sendError(res, 500, null, JsonRpcErrorCode.InternalError, `internal error: ${detail}`);
}
