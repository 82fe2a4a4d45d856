import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createConduitHost, type ConduitHost, type McpEndpoint } from "@conduit/host";
import { isLoopbackAddress } from "@conduit/mcp-route";
import { shortId } from "@conduit/protocol";
import { createAdminAuthorizer, createAuthenticator } from "./auth.js";
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
  readonly mcpListener: McpEndpoint;
  /** The WebSocket endpoint, the reverse channels and the loopback MCP listener. */
  readonly host: ConduitHost;
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
  const running = new RunningAgents({ maxNotifyBytesPerAgent: config.maxNotifyBytesPerAgent });
  const shutdown = new AbortController();
  const limits = (maxConnections: number): ConnectionLimits => ({
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    maxConnections,
  });
  const mcpLimits = limits(config.mcpMaxConnections);
  const mcpLog = logger.child({ component: "mcp" });
  const wsRouteLog = logger.child({ component: "ws-route" });
  const metrics = new Metrics({
    openSockets: () => host.stats().sockets,
    registeredIds: () => host.stats().registeredIds,
    pendingRequests: () => host.stats().pendingRequests,
    sseSubscribers: () => host.stats().sseSubscribers,
    runningAgents: () => running.size,
  });

  const host = createConduitHost({
    path: COMPLETIONS_PATH,
    // Sessions only start once the public server listens, after wsDeps below exists.
    onSession: (session) =>
      handleCompletionsSocket(session, {
        ...wsDeps,
        logger: wsRouteLog.child({ req: requestIdOf(session.request.headers) }),
      }),
    notify: (responseId, content) => running.notify(responseId, content),
    elicitationResponse: (responseId, elicitationId, action, content) =>
      running.respondElicitation(responseId, elicitationId, action, content),
    allowedOrigins: config.allowedOrigins,
    maxFrameBytes: config.wsMaxFrameBytes,
    timeoutMs: config.reverseChannelTimeoutMs,
    maxPending: config.maxPendingPerChannel,
    maxIdsPerSocket: config.maxIdsPerSocket,
    heartbeatMs: config.heartbeatMs,
    idleTimeoutMs: config.idleTimeoutMs,
    bodyTimeoutMs: config.idleTimeoutMs,
    maxInvalidFrames: config.maxInvalidFrames,
    invalidFrameWindowMs: config.invalidFrameWindowMs,
    maxSseSubscribersPerId: config.maxSseSubscribersPerId,
    maxMcpBodyBytes: config.maxBodyBytes,
    mcpHeadersTimeoutMs: mcpLimits.headersTimeoutMs,
    mcpRequestTimeoutMs: mcpLimits.requestTimeoutMs,
    mcpKeepAliveTimeoutMs: mcpLimits.keepAliveTimeoutMs,
    mcpMaxConnections: mcpLimits.maxConnections,
    onMcpTraffic(event) {
      metrics.observer.forwarded(event);
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
    logger: logger.child({ component: "ws" }),
  });
  const mcpListener = await host.listenMcp({ port: config.mcpPort });
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

  const wsDeps = { engine, maxSwarm: config.maxSwarm, shutdownSignal: shutdown.signal };
  const authenticate = createAuthenticator(config.apiKeys);
  const server = createPublicServer({
    authenticate,
    authorizeAdmin: createAdminAuthorizer({ adminKeys: config.adminApiKeys, apiKeys: config.apiKeys }),
    snapshot: () => host.snapshot(),
    metrics,
    post: {
      engine,
      maxSwarm: config.maxSwarm,
      maxBodyBytes: config.maxBodyBytes,
      shutdownSignal: shutdown.signal,
      logger: logger.child({ component: "post" }),
    },
    upgrade: (req, socket, head) => host.handleUpgrade(req, socket, head),
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
    await host.close().catch(() => undefined);
    throw err;
  }
  logger.info({ address: config.address, port, mcpPort: mcpListener.port }, "listening");
  // Tests, scripts and supervisors wait for this line: it does not wait for a batch.
  logger.flush();
  if (config.apiKeys.length === 0 && !isLoopbackAddress(config.address)) {
    logger.warn(
      { address: config.address },
      "API_KEYS is not set and the server is bound beyond loopback: every route, including the WebSocket that reaches users' MCP servers, is open to anyone who can connect",
    );
  }
  return { config, logger, server, port, mcpListener, host, engine, metrics, shutdown };
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, "close");
  server.close();
  server.closeIdleConnections();
  await closed;
}
