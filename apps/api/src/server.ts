import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { UpgradeHandler } from "@conduit/ws-server";
import type { Authenticator } from "./auth.js";
import { sendError } from "./http.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { handleCompletionsPost, type CompletionsPostDeps } from "./routes/completions-post.js";
import { handleHealth } from "./routes/health.js";
import { handleMetrics } from "./routes/metrics.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";

export const COMPLETIONS_PATH = "/agent/completions";

export interface PublicServerDeps {
  authenticate: Authenticator;
  metrics: Metrics;
  post: CompletionsPostDeps;
  upgrade: UpgradeHandler;
  shutdownSignal: AbortSignal;
  logger: Logger;
}

function pathnameOf(url: string | undefined): string {
  const raw = url ?? "/";
  const query = raw.indexOf("?");
  return query === -1 ? raw : raw.slice(0, query);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, `method not allowed (allowed: ${allow})`, { allow });
}

/** Routes one request of the public listener; every route requires the bearer key when API_KEYS is set. */
async function route(
  req: IncomingMessage,
  res: ServerResponse,
  deps: PublicServerDeps,
  requestId: string,
): Promise<void> {
  if (!deps.authenticate(req)) {
    sendError(res, 401, "missing or invalid bearer key", { "www-authenticate": 'Bearer realm="conduit"' });
    return;
  }
  const pathname = pathnameOf(req.url);
  const method = req.method ?? "GET";
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
  const server = createServer((req, res) => {
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
          path: pathnameOf(req.url).slice(0, 200),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
      if (deps.shutdownSignal.aborted) server.closeIdleConnections();
    });
    route(req, res, deps, requestId).catch((err: unknown) => {
      logger.error(
        { err: err instanceof Error ? err.message : String(err), path: pathnameOf(req.url).slice(0, 200) },
        "request failed",
      );
      if (!res.headersSent) sendError(res, 500, "internal error");
      else res.destroy();
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => deps.upgrade.handle(req, socket, head));
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
