import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createUpgradeHandler, type UpgradeHandler } from "@conduit/ws-server";

/** The message the API sends with its 401. */
export const UNAUTHORIZED_MESSAGE = "missing or invalid bearer key";

/**
 * A real node:http server with the real ws-server upgrade handler on
 * /agent/completions: 401 (with the API's JSON message) without the right
 * key, 404 on any other path. Accepted sockets are closed at once (1000).
 */
export class Gatekeeper {
  readonly #server: Server;
  readonly #upgrade: UpgradeHandler;

  private constructor(server: Server, upgrade: UpgradeHandler) {
    this.#server = server;
    this.#upgrade = upgrade;
  }

  static async start(apiKey: string): Promise<Gatekeeper> {
    const upgrade = createUpgradeHandler({
      path: "/agent/completions",
      authenticate: (req) =>
        req.headers.authorization === `Bearer ${apiKey}` || {
          status: 401,
          body: { error: { code: 401, message: UNAUTHORIZED_MESSAGE } },
        },
      onConnection: (ws) => ws.close(1000),
    });
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (req, socket, head) => upgrade.handle(req, socket, head));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return new Gatekeeper(server, upgrade);
  }

  origin(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#upgrade.close();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close");
  }
}

/** A TCP server on 127.0.0.1:0 that accepts connections and never says a word. */
export class SilentPeer {
  readonly #server: TcpServer;
  readonly #sockets = new Set<Socket>();
  /** Resolves with the first connection, so a test knows the client got through TCP. */
  readonly accepted: Promise<void>;

  private constructor(server: TcpServer) {
    this.#server = server;
    this.accepted = once(server, "connection").then(() => undefined);
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<SilentPeer> {
    const server = createTcpServer();
    const peer = new SilentPeer(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return peer;
  }

  url(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}/agent/completions`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, "close");
  }
}
