import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { HostSnapshot } from "@conduit/host";
import type { AdminAuthorizer, Authenticator } from "./auth.js";
import { serverOptions, type ConnectionLimits } from "./connection-limits.js";
import { sendError, sendRawError } from "./http.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { handleCompletionsPost, type CompletionsPostDeps } from "./routes/completions-post.js";
import { handleAdminStatus } from "./routes/admin-status.js";
import { handleHealth } from "./routes/health.js";
import { handleMetrics } from "./routes/metrics.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";
import { errorMessage } from "@conduit/protocol";

export const COMPLETIONS_PATH = "/agent/completions";
export const ADMIN_STATUS_PATH = "/admin/status";

const UNAUTHORIZED = "missing or invalid bearer key";
const WWW_AUTHENTICATE = 'Bearer realm="conduit"';

/** The answer to a request node:http could not take: HTTP_HEADERS/REQUEST_TIMEOUT_MS passed, headers too large, else 400. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

export interface PublicServerDeps {
  authenticate: Authenticator;
  /** The admin routes' own check (ADMIN_API_KEYS, else API_KEYS, else loopback peers). */
  authorizeAdmin: AdminAuthorizer;
  snapshot: () => HostSnapshot;
  metrics: Metrics;
  post: CompletionsPostDeps;
  /** The WebSocket upgrade of /agent/completions, once the bearer key passed. */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  shutdownSignal: AbortSignal;
  logger: Logger;
  limits: ConnectionLimits;
}

function pathnameOf(url: string | undefined): string {
  const raw = url ?? "/";
  const query = raw.indexOf("?");
  return query === -1 ? raw : raw.slice(0, query);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, `method not allowed (allowed: ${allow})`, { allow });
}

/** The admin routes, under their own keys (see createAdminAuthorizer). */
function routeAdmin(req: IncomingMessage, res: ServerResponse, deps: PublicServerDeps, method: string): void {
  const verdict = deps.authorizeAdmin(req);
  if (!verdict.ok) {
    sendError(
      res,
      verdict.status,
      verdict.message,
      verdict.status === 401 ? { "www-authenticate": WWW_AUTHENTICATE } : {},
    );
    return;
  }
  if (method !== "GET") return methodNotAllowed(res, "GET");
  handleAdminStatus(res, deps.snapshot, deps.shutdownSignal.aborted);
}

/** Routes one request of the public listener; every route requires the bearer key when API_KEYS is set. */
async function route(
  req: IncomingMessage,
  res: ServerResponse,
  deps: PublicServerDeps,
  requestId: string,
): Promise<void> {
  const pathname = pathnameOf(req.url);
  const method = req.method ?? "GET";
  if (pathname === ADMIN_STATUS_PATH) return routeAdmin(req, res, deps, method);
  if (!deps.authenticate(req)) {
    sendError(res, 401, UNAUTHORIZED, { "www-authenticate": WWW_AUTHENTICATE });
    return;
  }
  switch (pathname) {
    case COMPLETIONS_PATH:
      if (method !== "POST") return methodNotAllowed(res, "POST, GET (WebSocket upgrade)");
      return handleCompletionsPost(req, res, { ...deps.post, logger: deps.post.logger.child({ req: requestId }) });
    case "/healthz":
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
      return handleHealth(res, deps.shutdownSignal.aborted);
    case "/metrics":
      if (method !== "GET") return methodNotAllowed(res, "GET");
      return handleMetrics(res, deps.metrics);
    default:
      sendError(res, 404, `no route for ${method} ${pathname.slice(0, 200)}`);
  }
}

/** The public node:http server: HTTP routes plus the WebSocket upgrade on /agent/completions. */
export function createPublicServer(deps: PublicServerDeps): Server {
  const server = createServer(serverOptions(deps.limits), (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req.headers);
    const logger = deps.logger.child({ req: requestId });
    res.setHeader(REQUEST_ID_HEADER, requestId);
    // During shutdown no connection is kept alive: each closes once its response finished.
    if (deps.shutdownSignal.aborted) res.shouldKeepAlive = false;
    res.once("finish", () => {
      logger.info(
        {
          method: req.method,
          path: pathnameOf(req.url),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
      if (deps.shutdownSignal.aborted) server.closeIdleConnections();
    });
    route(req, res, deps, requestId).catch((err: unknown) => {
      logger.error({ err: errorMessage(err), path: pathnameOf(req.url) }, "request failed");
      if (!res.headersSent) sendError(res, 500, "internal error");
      else res.destroy();
    });
  });
  server.maxConnections = deps.limits.maxConnections;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The key first, on every path: without it nothing else (path, subprotocol, shutdown) is told.
    if (!deps.authenticate(req)) {
      socket.on("error", () => undefined);
      sendRawError(socket, 401, UNAUTHORIZED, {
        "WWW-Authenticate": WWW_AUTHENTICATE,
        "X-Request-Id": requestIdOf(req.headers),
      });
      return;
    }
    deps.upgrade(req, socket, head);
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = CLIENT_ERROR_STATUS[err.code ?? ""] ?? 400;
    // Only on a connection with nothing written yet: a response already under way cannot take another.
    if ((socket as Partial<Socket>).bytesWritten) socket.destroy();
    else sendRawError(socket, status, STATUS_CODES[status] ?? "Bad Request");
  });
  return server;
}
