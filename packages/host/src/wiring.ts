// The one file that composes the lower packages (registry, listeners, ws-server, mcp-route):
// everything else in @conduit/host works through the small surface it returns.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { createMcpListener } from "@conduit/mcp-route";
import type { Logger } from "@conduit/protocol";
import { ReverseChannelRegistry } from "@conduit/registry";
import { AttachedSockets, createUpgradeHandler, type AttachedSocket } from "@conduit/ws-server";
import type { WebSocket } from "ws";
import type { ConduitHostOptions, McpListenOptions, McpTrafficEvent } from "./options.js";
import type { SocketParts } from "./session.js";

export { RegistrationLimitError } from "@conduit/registry";

export interface UpgradeParts {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuses further upgrades (503); open sockets are left to closeSockets. */
  close(): void;
}

export interface LoopbackListener {
  /** The node:http server behind it (for connection metrics). */
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface WiringStats {
  sockets: number;
  registeredIds: number;
  pendingRequests: number;
  sseSubscribers: number;
}

export interface Wiring {
  upgrade(path: string, onSocket: (parts: SocketParts, req: IncomingMessage) => void): UpgradeParts;
  listenMcp(options: McpListenOptions, onTraffic: (event: McpTrafficEvent) => void): Promise<LoopbackListener>;
  stats(): WiringStats;
  /** Closes every socket with `code`; those still open after `graceMs` are terminated. Later sockets are refused. */
  closeSockets(code: number, reason: string, graceMs: number): Promise<void>;
}

export interface WiringOptions extends ConduitHostOptions {
  timeoutMs: number;
  logger: Logger;
}

function partsOf(socket: AttachedSocket, ws: WebSocket): SocketParts {
  return {
    readBody: (validate) => socket.readBody(validate),
    declare: (mcps) => socket.declare(mcps),
    register: (responseId) => socket.register(responseId),
    send: (chunk) => socket.send(chunk),
    finish: () => socket.finish(),
    fail: (error, closeCode) => socket.fail(error, closeCode),
    get responseIds() {
      return socket.responseIds;
    },
    get inFlight() {
      return socket.pendingCount;
    },
    subprotocol: ws.protocol,
    signal: socket.signal,
    closed: socket.closed,
  };
}

export function wire(options: WiringOptions): Wiring {
  const registry = new ReverseChannelRegistry();
  const listeners = new SseStreamRegistry({ maxSubscribersPerId: options.maxSseSubscribersPerId });
  // The same timeoutMs goes to the sockets (their channels' default) and to the route (per forwarded request).
  const sockets = new AttachedSockets({
    registry,
    streams: socketHooksFor(listeners),
    notify: options.notify ?? unsupported,
    elicitationResponse: options.elicitationResponse,
    timeoutMs: options.timeoutMs,
    maxPending: options.maxPending,
    maxIdsPerSocket: options.maxIdsPerSocket,
    heartbeatMs: options.heartbeatMs,
    idleTimeoutMs: options.idleTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxInvalidFrames: options.maxInvalidFrames,
    invalidFrameWindowMs: options.invalidFrameWindowMs,
    logger: options.logger,
  });

  return {
    upgrade(path, onSocket) {
      const handler = createUpgradeHandler({
        path,
        allowedOrigins: options.allowedOrigins,
        authenticate: options.authenticate,
        maxPayload: options.maxFrameBytes,
        onConnection: (ws, req) => onSocket(partsOf(sockets.attach(ws), ws), req),
      });
      return { handle: (req, socket, head) => handler.handle(req, socket, head), close: () => handler.close() };
    },
    async listenMcp(listen, onTraffic) {
      const listener = await createMcpListener({
        registry,
        listeners,
        timeoutMs: options.timeoutMs,
        maxTimeoutMs: options.maxTimeoutMs,
        maxBodyBytes: options.maxMcpBodyBytes,
        keepaliveMs: options.heartbeatMs,
        port: listen.port,
        host: listen.host,
        headersTimeoutMs: options.mcpHeadersTimeoutMs,
        requestTimeoutMs: options.mcpRequestTimeoutMs,
        keepAliveTimeoutMs: options.mcpKeepAliveTimeoutMs,
        maxConnections: options.mcpMaxConnections,
        observer: { forwarded: onTraffic },
      });
      return { server: listener.server, url: listener.url, port: listener.port, close: () => listener.close() };
    },
    stats: () => ({
      sockets: sockets.size,
      registeredIds: registry.size,
      pendingRequests: sockets.pendingCount,
      sseSubscribers: listeners.subscriberCount(),
    }),
    closeSockets: (code, reason, graceMs) => sockets.closeAll(code, reason, graceMs),
  };
}

/** Without a notify handler, a notify is answered -32601 (method not found). */
function unsupported(): never {
  throw Object.assign(new Error("agent_completion_notify is not supported by this server"), { code: -32601 });
}
