import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { BODY_ABORTED, BODY_TOO_LARGE, readRequestBody } from "@conduit/mcp-route";

/** Writes a JSON response (unless the response already started). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** `{"error":{"code":<status>,"message":…}}` — the shape of every public HTTP error. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code: status, message } }, headers);
}

/**
 * Writes a response body with backpressure. While the socket buffer is full
 * every writer shares one wait for 'drain' (not one listener each: a swarm's
 * agents write to one response).
 */
export class ResponseWriter {
  #drained: Promise<void> | undefined;

  constructor(readonly res: ServerResponse) {}

  /** Resolves once the text was taken and the buffer is below its mark; false once the response is gone. */
  async write(text: string): Promise<boolean> {
    const res = this.res;
    if (res.writableEnded || res.destroyed) return false;
    if (res.write(text)) return true;
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        res.off("drain", done);
        res.off("close", done);
        this.#drained = undefined;
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
    await this.#drained;
    return !res.destroyed;
  }
}

/**
 * Writes a whole error response (the same JSON shape) on a raw socket that
 * node:http does not drive: a refused upgrade, or a request node:http could
 * not parse. The connection is closed once it is written.
 */
export function sendRawError(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: status, message } });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

export type BodyRead =
  { ok: true; text: string } | { ok: false; status: 413; message: string } | { ok: false; status: 0 };

/**
 * Reads a request body up to `limit` bytes with mcp-route's reader. Past it
 * (declared or streamed) the read stops with 413 and the connection is marked
 * to close; what the client still sends is discarded, never buffered.
 * status 0: the client went away.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<BodyRead> {
  const body = await readRequestBody(req, limit);
  if (body === BODY_ABORTED) return { ok: false, status: 0 };
  if (body === BODY_TOO_LARGE) {
    res.shouldKeepAlive = false;
    req.resume();
    return { ok: false, status: 413, message: `request body exceeds MAX_BODY_BYTES (${limit} bytes)` };
  }
  return { ok: true, text: body.toString("utf8") };
}
