import { CloseCode, ErrorFrameCode, MAX_TIMER_MS, errorMessage, silentLogger } from "@conduit/protocol";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  DEFAULT_PATH,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TRAFFIC_WINDOW_MS,
  checkedInteger,
  type ConduitHostOptions,
  type McpListenOptions,
  type McpTrafficEvent,
} from "./options.js";
import { createSession, type ConduitSession, type SocketParts } from "./session.js";
import { sessionSnapshot, type HostSnapshot } from "./snapshot.js";
import { TrafficCounter } from "./traffic.js";
import { wire, type LoopbackListener, type UpgradeParts, type WiringStats } from "./wiring.js";

/** The running loopback MCP listener. */
export interface McpEndpoint {
  /** `http://127.0.0.1:<port>`: agents POST to `<url>/<mcp>` with `X-OBJECTIVEAI-RESPONSE-ID`. */
  readonly url: string;
  readonly port: number;
  /** The node:http server behind it. */
  readonly server: Server;
}

export interface AttachOptions {
  /** Default: the host's `path`. */
  path?: string;
}

export interface CloseOptions {
  /** Close code sent to every open socket. Default 1001 (going away). */
  code?: number;
  reason?: string;
  /** Sockets still open after this many ms are terminated. Default 2000. */
  graceMs?: number;
}

export type HostStats = WiringStats;

/** What `createConduitHost` returns: mount the endpoint, start the MCP listener, look inside, close. */
export interface ConduitHost {
  /** An `upgrade` handler for any node:http server: checks origin, authentication, path and subprotocol, then takes the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Listens to `server`'s `upgrade` event for `path`. Upgrades to other paths
   * are left to the server's other `upgrade` listeners, or refused 404 when
   * there are none. Returns a function that removes the listener.
   */
  attach(server: Server, options?: AttachOptions): () => void;
  /** Starts the loopback MCP listener (once; a second call returns the same endpoint). */
  listenMcp(options?: McpListenOptions): Promise<McpEndpoint>;
  /** The listener's endpoint once `listenMcp()` resolved. */
  readonly mcp: McpEndpoint | undefined;
  /** The live sockets, their agents and mcps, and recent MCP traffic (for an admin route). */
  snapshot(): HostSnapshot;
  /** Counts for metrics: open sockets, registered ids, pending requests, SSE subscribers. */
  stats(): HostStats;
  /** Refuses further upgrades (503); open sockets keep running. */
  stopAccepting(): void;
  /** stopAccepting, closes every socket (pending MCP requests fail -32002), then the MCP listener. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

function pathnameOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

/**
 * Wires a reverse-channel registry, a list_changed listener registry, the
 * WebSocket endpoint and the loopback MCP listener from one set of options.
 * Throws RangeError/TypeError for a bad option.
 */
export function createConduitHost(options: ConduitHostOptions): ConduitHost {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = checkedInteger("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, MAX_TIMER_MS);
  const trafficWindowMs = checkedInteger(
    "trafficWindowMs",
    options.trafficWindowMs,
    DEFAULT_TRAFFIC_WINDOW_MS,
    1,
    MAX_TIMER_MS,
  );
  const defaultPath = options.path ?? DEFAULT_PATH;
  const wiring = wire({ ...options, timeoutMs, logger });
  const traffic = new TrafficCounter(trafficWindowMs);
  const sessions = new Set<ConduitSession>();
  const upgrades = new Map<string, UpgradeParts>();
  const startedAt = Date.now();
  let nextSession = 1;
  let listener: Promise<LoopbackListener> | undefined;
  let endpoint: McpEndpoint | undefined;
  let accepting = true;
  let closing: Promise<void> | undefined;

  function onSocket(parts: SocketParts, req: IncomingMessage): void {
    const session = createSession(`sock_${nextSession++}`, req, parts);
    sessions.add(session);
    void session.closed.then(() => sessions.delete(session));
    Promise.resolve()
      .then(() => options.onSession(session))
      .catch(async (err: unknown) => {
        logger.error({ session: session.id, err: errorMessage(err) }, "session handler failed");
        await session.fail({ code: ErrorFrameCode.Internal, message: "internal error" }, CloseCode.InternalError);
      });
  }

  function upgradeFor(path: string): UpgradeParts {
    let parts = upgrades.get(path);
    if (parts === undefined) {
      parts = wiring.upgrade(path, onSocket);
      if (!accepting) parts.close();
      upgrades.set(path, parts);
    }
    return parts;
  }

  function onTraffic(event: McpTrafficEvent): void {
    traffic.record(event);
    try {
      options.onMcpTraffic?.(event);
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, "onMcpTraffic threw");
    }
  }

  const host: ConduitHost = {
    handleUpgrade(req, socket, head) {
      upgradeFor(defaultPath).handle(req, socket, head);
    },
    attach(server, attachOptions = {}) {
      const path = attachOptions.path ?? defaultPath;
      const parts = upgradeFor(path);
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
        if (pathnameOf(req.url) === path || server.listenerCount("upgrade") === 1) parts.handle(req, socket, head);
      };
      server.on("upgrade", onUpgrade);
      return () => {
        server.off("upgrade", onUpgrade);
      };
    },
    listenMcp(listenOptions = {}) {
      if (closing !== undefined) return Promise.reject(new Error("the host is closed"));
      listener ??= wiring.listenMcp(listenOptions, onTraffic);
      return listener.then((started) => {
        endpoint ??= { url: started.url, port: started.port, server: started.server };
        return endpoint;
      });
    },
    get mcp() {
      return endpoint;
    },
    snapshot() {
      const now = Date.now();
      const sockets = [...sessions].map((session) => sessionSnapshot(session, now));
      return {
        now: new Date(now).toISOString(),
        startedAt: new Date(startedAt).toISOString(),
        uptimeMs: now - startedAt,
        mcpUrl: endpoint?.url ?? null,
        totals: {
          sockets: sockets.length,
          agents: sockets.reduce((sum, socket) => sum + socket.agentCount, 0),
          inFlight: sockets.reduce((sum, socket) => sum + socket.inFlight, 0),
          sseSubscribers: wiring.stats().sseSubscribers,
        },
        sockets,
        traffic: traffic.snapshot(),
      };
    },
    stats: () => wiring.stats(),
    stopAccepting() {
      accepting = false;
      for (const parts of upgrades.values()) parts.close();
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        host.stopAccepting();
        await wiring.closeSockets(
          closeOptions.code ?? CloseCode.GoingAway,
          closeOptions.reason ?? "server shutting down",
          closeOptions.graceMs ?? 2000,
        );
        if (listener !== undefined) {
          const started = await listener.catch(() => undefined);
          await started?.close();
        }
      })();
      return closing;
    },
  };
  return host;
}
