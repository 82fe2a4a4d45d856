// The one file that composes the lower packages (registry, listeners, ws-server, mcp-route):
// everything else in @conduit/host works through the small surface it returns.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { createMcpListener } from "@conduit/mcp-route";
import type { Chunk, Logger } from "@conduit/protocol";
import { ReverseChannelRegistry } from "@conduit/registry";
import { AttachedSockets, createUpgradeHandler, type AttachedSocket } from "@conduit/ws-server";
import type { WebSocket } from "ws";
import type { ConduitHostOptions, McpListenOptions, McpTrafficEvent } from "./options.js";
import type { BodyResult, BodyValidator, SessionClosed, SocketParts } from "./session.js";

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

/** What the session sees of one attached socket; a class, as there is one per socket (see session.ts). */
class AttachedSocketParts implements SocketParts {
  readonly subprotocol: string;
  readonly #socket: AttachedSocket;

  constructor(socket: AttachedSocket, ws: WebSocket) {
    this.#socket = socket;
    this.subprotocol = ws.protocol;
  }

  readBody<T>(validate: BodyValidator<T>): Promise<BodyResult<T>> {
    return this.#socket.readBody(validate);
  }

  declare(mcps: readonly string[]): void {
    this.#socket.declare(mcps);
  }

  register(responseId: string): boolean {
    return this.#socket.register(responseId);
  }

  send(chunk: Chunk): Promise<boolean> {
    return this.#socket.send(chunk);
  }

  finish(): Promise<void> {
    return this.#socket.finish();
  }

  fail(error: { code: number; message: string }, closeCode?: number): Promise<void> {
    return this.#socket.fail(error, closeCode);
  }

  get responseIds(): ReadonlySet<string> {
    return this.#socket.responseIds;
  }

  get inFlight(): number {
    return this.#socket.pendingCount;
  }

  get signal(): AbortSignal {
    return this.#socket.signal;
  }

  get closed(): Promise<SessionClosed> {
    return this.#socket.closed;
  }
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
        onConnection: (ws, req) => onSocket(new AttachedSocketParts(sockets.attach(ws), ws), req),
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
