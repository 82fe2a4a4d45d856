import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { SUBPROTOCOLS, pickSubprotocol } from "@conduit/protocol";
import { WebSocketServer, type WebSocket } from "ws";
import { rememberRawSocket } from "./raw-sockets.js";

export type AuthenticateResult = boolean | { status: number; body: unknown };

export interface UpgradeOptions {
  /** The pathname to accept, or a predicate over it. */
  path: string | ((pathname: string) => boolean);
  /**
   * Browser origins allowed to upgrade, each exactly as a browser sends it in
   * `Origin` (`scheme://host[:port]`, e.g. `https://app.example.com`), or `"*"`
   * for any. A request carrying an `Origin` not listed is refused with 403;
   * one without (a CLI, another server) is not concerned. Default: none.
   */
  allowedOrigins?: readonly string[];
  /**
   * Runs before the upgrade, whatever the path: true accepts; false refuses
   * with 401; `{ status, body }` refuses with that status and `body` as JSON.
   * A throw refuses with 500.
   */
  authenticate?: (req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /** WebSocket frame size limit in bytes; past it `ws` closes with 1009. Default 16 MiB. */
  maxPayload?: number;
  onConnection: (socket: WebSocket, req: IncomingMessage) => void;
}

export interface UpgradeHandler {
  /** For `server.on("upgrade", handler.handle)`. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly wss: WebSocketServer;
  /** Refuses further upgrades (503) and closes the WebSocketServer; open sockets are left to AttachedSockets.closeAll. */
  close(): void;
}

export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

function errorBody(status: number, message: string): unknown {
  return { error: { code: status, message } };
}

/** Writes a complete HTTP response on a socket that has not been upgraded, then ends it. */
function refuse(socket: Duplex, status: number, body: unknown): void {
  if (socket.destroyed) return;
  let payload: string;
  try {
    payload = JSON.stringify(body) ?? "null";
  } catch {
    payload = JSON.stringify(errorBody(status, STATUS_CODES[status] ?? "refused"));
  }
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(payload)}`,
  ].join("\r\n");
  socket.once("finish", () => socket.destroy());
  socket.end(`${head}\r\n\r\n${payload}`);
}

/**
 * The check for `allowedOrigins`; throws a TypeError for an entry that is
 * neither `"*"` nor a serialized origin, which could never match.
 */
function originCheck(allowed: readonly string[]): (origin: string) => boolean {
  for (const entry of allowed) {
    if (entry === "*") return () => true;
    let serialized: string | undefined;
    try {
      serialized = new URL(entry).origin;
    } catch {
      serialized = undefined;
    }
    if (serialized !== entry) {
      throw new TypeError(
        `allowedOrigins: ${JSON.stringify(entry)} is not an origin such as "https://app.example.com" (scheme://host[:port], lower case, no path), nor "*"`,
      );
    }
  }
  const set = new Set(allowed);
  return (origin) => set.has(origin);
}

/** The browser origin of an upgrade request (`Sec-WebSocket-Origin` in protocol version 8), or undefined. */
function originOf(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? req.headers["sec-websocket-origin"];
  return Array.isArray(origin) ? origin.join(", ") : origin;
}

function pathnameOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

/** Offered subprotocols, or undefined when the header is absent or empty. */
function offeredProtocols(req: IncomingMessage): string[] | undefined {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return undefined;
  const offered = header
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
  return offered.length > 0 ? offered : undefined;
}

/**
 * An `upgrade` handler for a plain node:http server: checks the browser
 * origin (403), authentication (401 or the given status), the path (404) and
 * the subprotocol (400 when protocols are offered without conduit.v2 or
 * conduit.v1; v2 is picked when both are offered), all
 * before any upgrade, then hands the request to a noServer WebSocketServer.
 * Authentication comes before the path so that an unauthenticated caller
 * learns nothing about which paths exist.
 */
export function createUpgradeHandler(options: UpgradeOptions): UpgradeHandler {
  const matches = typeof options.path === "string" ? (pathname: string) => pathname === options.path : options.path;
  const originAllowed = originCheck(options.allowedOrigins ?? []);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    handleProtocols: (protocols) => pickSubprotocol(protocols) ?? false,
  });
  let closed = false;

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (closed) return refuse(socket, 503, errorBody(503, "server shutting down"));
    const origin = originOf(req);
    if (origin !== undefined && !originAllowed(origin)) {
      return refuse(socket, 403, errorBody(403, "origin not allowed"));
    }
    if (options.authenticate) {
      let verdict: AuthenticateResult;
      try {
        verdict = await options.authenticate(req);
      } catch {
        return refuse(socket, 500, errorBody(500, "authentication failed"));
      }
      if (verdict === false) return refuse(socket, 401, errorBody(401, "unauthorized"));
      if (typeof verdict === "object") return refuse(socket, verdict.status, verdict.body);
    }
    const pathname = pathnameOf(req.url);
    if (pathname === undefined || !matches(pathname)) return refuse(socket, 404, errorBody(404, "not found"));
    const offered = offeredProtocols(req);
    if (offered !== undefined && pickSubprotocol(new Set(offered)) === undefined) {
      return refuse(socket, 400, errorBody(400, `one of the subprotocols ${SUBPROTOCOLS.join(", ")} is required`));
    }
    // The client may have gone while authenticate ran; closing raced us too.
    if (socket.destroyed) return;
    if (closed) return refuse(socket, 503, errorBody(503, "server shutting down"));
    socket.off("error", ignoreError);
    wss.handleUpgrade(req, socket, head, (ws) => {
      rememberRawSocket(ws, socket);
      options.onConnection(ws, req);
    });
  }

  return {
    wss,
    handle(req, socket, head) {
      // Until ws owns the socket, a reset must not become an unhandled 'error'.
      socket.on("error", ignoreError);
      upgrade(req, socket, head).catch(() => {
        socket.destroy();
      });
    },
    close() {
      closed = true;
      wss.close();
    },
  };
}

function ignoreError(): void {}
