import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { createMcpListener, isLoopbackAddress, type McpListener } from "@conduit/mcp-route";
import { ReverseChannelRegistry } from "@conduit/registry";
import { AttachedSockets, createUpgradeHandler, type UpgradeHandler } from "@conduit/ws-server";
import { shortId } from "@conduit/protocol";
import { createAuthenticator } from "./auth.js";
import { reportDrops, type ConnectionLimits } from "./connection-limits.js";
import { requestIdOf } from "./request-id.js";
import { MAX_TIMER_MS, type Config } from "./config.js";
import type { EngineDeps } from "./engine/agent.js";
import { RunningAgents } from "./engine/running-agents.js";
import type { Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { handleCompletionsSocket } from "./routes/completions-ws.js";
import { COMPLETIONS_PATH, createPublicServer } from "./server.js";

/** Extra time an agent's MCP client waits beyond the conduit's own timeout, so -32003 arrives first. */
const MCP_CLIENT_SLACK_MS = 5000;

/** Everything one running server holds, for shutdown and tests. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly server: Server;
  readonly port: number;
  readonly mcpListener: McpListener;
  readonly conduit: AttachedSockets;
  readonly upgrade: UpgradeHandler;
  readonly engine: EngineDeps;
  readonly metrics: Metrics;
  /** Aborting it starts shutdown: agents cancel, upgrades are refused. */
  readonly shutdown: AbortController;
}

function listen(server: Server, port: number, address: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Composes the packages, binds both listeners and logs the `listening` line. */
export async function startApp(config: Config, logger: Logger): Promise<App> {
  const registry = new ReverseChannelRegistry();
  const listeners = new SseStreamRegistry({ maxSubscribersPerId: config.maxSseSubscribersPerId });
  const running = new RunningAgents({ maxNotifyBytesPerAgent: config.maxNotifyBytesPerAgent });
  const shutdown = new AbortController();
  const conduit = new AttachedSockets({
    registry,
    streams: socketHooksFor(listeners),
    notify: (responseId, content) => running.notify(responseId, content),
    elicitationResponse: (responseId, elicitationId, action, content) =>
      running.respondElicitation(responseId, elicitationId, action, content),
    timeoutMs: config.reverseChannelTimeoutMs,
    maxPending: config.maxPendingPerChannel,
    maxIdsPerSocket: config.maxIdsPerSocket,
    heartbeatMs: config.heartbeatMs,
    idleTimeoutMs: config.idleTimeoutMs,
    bodyTimeoutMs: config.idleTimeoutMs,
    maxInvalidFrames: config.maxInvalidFrames,
    invalidFrameWindowMs: config.invalidFrameWindowMs,
    logger: logger.child({ component: "ws" }),
  });
  const metrics = new Metrics({
    openSockets: () => conduit.size,
    registeredIds: () => registry.size,
    pendingRequests: () => conduit.pendingCount,
    sseSubscribers: () => listeners.subscriberCount(),
    runningAgents: () => running.size,
  });

  const limits = (maxConnections: number): ConnectionLimits => ({
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    maxConnections,
  });
  const mcpLimits = limits(config.mcpMaxConnections);

  const mcpLog = logger.child({ component: "mcp" });
  const mcpListener = await createMcpListener({
    registry,
    listeners,
    timeoutMs: config.reverseChannelTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    keepaliveMs: config.heartbeatMs,
    port: config.mcpPort,
    headersTimeoutMs: mcpLimits.headersTimeoutMs,
    requestTimeoutMs: mcpLimits.requestTimeoutMs,
    keepAliveTimeoutMs: mcpLimits.keepAliveTimeoutMs,
    maxConnections: mcpLimits.maxConnections,
    observer: {
      forwarded(event) {
        metrics.observer.forwarded?.(event);
        mcpLog.info(
          {
            responseId: shortId(event.responseId),
            mcp: event.mcp,
            method: event.method,
            outcome: event.outcome,
            ms: Math.round(event.durationMs),
          },
          "mcp request",
        );
      },
    },
  });

  reportDrops(mcpListener.server, {
    listener: "mcp",
    variable: "MCP_MAX_CONNECTIONS",
    logger: mcpLog,
    count: () => metrics.droppedConnections.inc({ listener: "mcp" }),
  });

  const engine: EngineDeps = {
    running,
    activeSwarms: new Set(),
    mcpListenerUrl: mcpListener.url,
    // Capped: past MAX_TIMER_MS the SDK's timer would fire after 1 ms.
    mcpRequestTimeoutMs: Math.min(config.reverseChannelTimeoutMs + MCP_CLIENT_SLACK_MS, MAX_TIMER_MS),
    openai: { baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey || undefined, fetch: globalThis.fetch },
    elicitation: { maxOpenPerAgent: config.maxElicitationsPerAgent, timeoutMs: config.elicitationTimeoutMs },
    logger: logger.child({ component: "agent" }),
  };

  const authenticate = createAuthenticator(config.apiKeys);
  const wsDeps = {
    conduit,
    engine,
    maxSwarm: config.maxSwarm,
    shutdownSignal: shutdown.signal,
    logger: logger.child({ component: "ws-route" }),
  };
  const upgrade = createUpgradeHandler({
    path: COMPLETIONS_PATH,
    allowedOrigins: config.allowedOrigins,
    authenticate: (req) =>
      authenticate(req) || { status: 401, body: { error: { code: 401, message: "missing or invalid bearer key" } } },
    maxPayload: config.wsMaxFrameBytes,
    onConnection: (ws, req) => {
      const streamLogger = wsDeps.logger.child({ req: requestIdOf(req.headers) });
      handleCompletionsSocket(ws, req, { ...wsDeps, logger: streamLogger }).catch((err: unknown) => {
        wsDeps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "websocket stream failed");
      });
    },
  });

  const server = createPublicServer({
    authenticate,
    metrics,
    post: {
      engine,
      maxSwarm: config.maxSwarm,
      maxBodyBytes: config.maxBodyBytes,
      shutdownSignal: shutdown.signal,
      logger: logger.child({ component: "post" }),
    },
    upgrade,
    shutdownSignal: shutdown.signal,
    logger,
    limits: limits(config.maxConnections),
  });
  reportDrops(server, {
    listener: "public",
    variable: "MAX_CONNECTIONS",
    logger,
    count: () => metrics.droppedConnections.inc({ listener: "public" }),
  });

  let port: number;
  try {
    port = await listen(server, config.port, config.address);
  } catch (err) {
    await mcpListener.close().catch(() => undefined);
    throw err;
  }
  logger.info({ address: config.address, port, mcpPort: mcpListener.port }, "listening");
  if (config.apiKeys.length === 0 && !isLoopbackAddress(config.address)) {
    logger.warn(
      { address: config.address },
      "API_KEYS is not set and the server is bound beyond loopback: every route, including the WebSocket that reaches users' MCP servers, is open to anyone who can connect",
    );
  }
  return { config, logger, server, port, mcpListener, conduit, upgrade, engine, metrics, shutdown };
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, "close");
  server.close();
  server.closeIdleConnections();
  await closed;
}
