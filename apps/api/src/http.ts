import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

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
  { ok: true; text: string } | { ok: false; status: 413 | 400; message: string } | { ok: false; status: 0 };

/**
 * Reads a request body up to `limit` bytes. Past it (declared or streamed)
 * the read stops with 413 and the connection is marked to close, so the rest
 * of an oversized upload is never buffered. status 0: the client went away.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<BodyRead> {
  const tooLarge: BodyRead = {
    ok: false,
    status: 413,
    message: `request body exceeds MAX_BODY_BYTES (${limit} bytes)`,
  };
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    res.shouldKeepAlive = false;
    return Promise.resolve(tooLarge);
  }
  return new Promise<BodyRead>((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onClose);
      resolve(result);
    };
    const onData = (part: Buffer): void => {
      size += part.length;
      if (size > limit) {
        res.shouldKeepAlive = false;
        settle(tooLarge);
        // Discarded from here on; the connection closes after the 413.
        req.resume();
        return;
      }
      parts.push(part);
    };
    const onEnd = (): void => settle({ ok: true, text: Buffer.concat(parts, size).toString("utf8") });
    const onGone = (): void => settle({ ok: false, status: 0 });
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onClose);
  });
}
