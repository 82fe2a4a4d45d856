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
}

export interface McpListener {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (the bound address; IPv6 in brackets). */
  readonly url: string;
  /** Stops listening and ends every open connection (SSE streams and in-flight requests included). */
  close(): Promise<void>;
}

/**
 * Starts a node:http server serving the MCP route on a loopback address.
 * Throws (synchronously, before binding) for any non-loopback host.
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
  const server = createServer(createMcpRoute(options));
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
