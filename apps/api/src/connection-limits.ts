import type { Server, ServerOptions } from "node:http";
import type { Logger } from "./logger.js";

/** The header/body/keep-alive timeouts and the connection cap of one listener. */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * node:http options for the limits. Node checks the two request timeouts on
 * `connectionsCheckingInterval` (default 30 s): a quarter of the headers
 * timeout (10 ms to 1 s) keeps a cut within about 25% of its timeout. Both
 * timeouts stop counting once a request is in, and an upgraded socket leaves
 * the server's accounting, so SSE responses and WebSockets are never cut.
 */
export function serverOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

const DROP_LOG_PERIOD_MS = 1000;

/**
 * Counts connections the server closed at once because `maxConnections` were
 * open, and logs them at warn: the first at once, then at most one line a
 * second with the count since the previous line (a flood of connection
 * attempts must not become a flood of log lines).
 */
export function reportDrops(
  server: Server,
  options: { listener: "public" | "mcp"; variable: string; logger: Logger; count: () => void },
): void {
  let pending = 0;
  let holdOff: NodeJS.Timeout | undefined;
  const log = (dropped: number): void => {
    options.logger.warn(
      { listener: options.listener, dropped, maxConnections: server.maxConnections },
      `connections refused: ${options.variable} reached`,
    );
    holdOff = setTimeout(flush, DROP_LOG_PERIOD_MS).unref();
  };
  const flush = (): void => {
    holdOff = undefined;
    if (pending === 0) return;
    const dropped = pending;
    pending = 0;
    log(dropped);
  };
  server.on("drop", () => {
    options.count();
    if (holdOff === undefined) log(1);
    else pending += 1;
  });
}
