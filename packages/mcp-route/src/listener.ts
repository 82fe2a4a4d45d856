import { MAX_TIMER_MS } from "@conduit/protocol";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackAddress } from "./loopback.js";
import type { McpRouteOptions } from "./options.js";
import { createMcpRoute } from "./route.js";

export interface McpListenerOptions extends McpRouteOptions {
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Loopback only: 127.0.0.0/8, ::1 or localhost. Default 127.0.0.1. */
  host?: string;
  /**
   * Time to receive a request's headers, ms; past it the connection gets 408
   * and is closed. At most `requestTimeoutMs`. Default 10 000.
   */
  headersTimeoutMs?: number;
  /**
   * Time to receive a whole request (headers and body), ms; past it 408 and
   * close. It ends once the request is in: a GET-SSE stream or a long-awaited
   * POST answer is never cut by it. Default 30 000.
   */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open after a response, ms. Default 5 000. */
  keepAliveTimeoutMs?: number;
  /** Open connections; past it a new connection is closed at once, before any byte is read. Default 4 096. */
  maxConnections?: number;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;

export interface McpListener {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (the bound address; IPv6 in brackets). */
  readonly url: string;
  /** Stops listening and ends every open connection (SSE streams and in-flight requests included). */
  close(): Promise<void>;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The connection limits with defaults applied; throws RangeError for a bad one. */
function connectionLimits(options: McpListenerOptions): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
} {
  const headersTimeout = integerOption(
    "headersTimeoutMs",
    options.headersTimeoutMs,
    Math.min(DEFAULT_HEADERS_TIMEOUT_MS, options.requestTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS),
    1,
    MAX_TIMER_MS,
  );
  const requestTimeout = integerOption(
    "requestTimeoutMs",
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT_MS,
    1,
    MAX_TIMER_MS,
  );
  if (headersTimeout > requestTimeout) {
    throw new RangeError(`headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout})`);
  }
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: integerOption(
      "keepAliveTimeoutMs",
      options.keepAliveTimeoutMs,
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      1,
      MAX_TIMER_MS,
    ),
    maxConnections: integerOption(
      "maxConnections",
      options.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}

/**
 * Starts a node:http server serving the MCP route on a loopback address.
 * Throws (synchronously, before binding) for any non-loopback host or a bad limit.
 */
export function createMcpListener(options: McpListenerOptions): Promise<McpListener> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackAddress(host)) {
    throw new RangeError(
      `the MCP listener binds to loopback only (127.0.0.0/8, ::1, localhost), not ${JSON.stringify(host)}`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer 0-65535, got ${String(port)}`);
  }
  const limits = connectionLimits(options);
  const server = createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeout,
      // Node checks both timeouts on this period (default 30 s): a check every quarter of the
      // shorter one keeps a cut within 25% of its timeout.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeout / 4))),
    },
    createMcpRoute(options),
  );
  server.maxConnections = limits.maxConnections;
  return new Promise<McpListener>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address() as AddressInfo;
      const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve({
        server,
        port: address.port,
        url: `http://${hostPart}:${address.port}`,
        close: () => closeServer(server),
      });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
