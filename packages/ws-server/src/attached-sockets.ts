import { CloseCode, ErrorFrameCode } from "@conduit/protocol";
import type { WebSocket } from "ws";
import { SocketSession, type AttachedSocket } from "./attached-socket.js";
import { resolveOptions, type AttachedSocketsOptions, type ResolvedOptions } from "./options.js";

const SHUTTING_DOWN = "server shutting down";

/** Takes over accepted WebSockets and tracks them for shutdown. */
export class AttachedSockets {
  readonly #options: ResolvedOptions;
  readonly #sockets = new Set<SocketSession>();
  #shuttingDown = false;

  constructor(options: AttachedSocketsOptions) {
    this.#options = resolveOptions(options);
  }

  /**
   * Takes over one accepted `ws` WebSocket (already upgraded with conduit.v1).
   * After closeAll() began, the socket is refused: error 503, close 1001.
   */
  attach(socket: WebSocket): AttachedSocket {
    const attached = new SocketSession(socket, this.#options);
    if (this.#shuttingDown) {
      void attached.fail({ code: ErrorFrameCode.ShuttingDown, message: SHUTTING_DOWN }, CloseCode.GoingAway);
      return attached;
    }
    this.#sockets.add(attached);
    void attached.closed.then(() => this.#sockets.delete(attached));
    return attached;
  }

  /** Every attached socket still open. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Server requests awaiting an answer, summed over every open socket (for metrics). */
  get pendingCount(): number {
    let pending = 0;
    for (const socket of this.#sockets) pending += socket.pendingCount;
    return pending;
  }

  /**
   * Closes every attached socket with `code` (no error frame); pending MCP
   * requests fail with -32002 at once. Sockets still open after `graceMs` are
   * terminated. Resolves once all are closed. Later attach() calls are refused.
   */
  async closeAll(code: number = CloseCode.GoingAway, reason = SHUTTING_DOWN, graceMs = 2000): Promise<void> {
    this.#shuttingDown = true;
    const sockets = [...this.#sockets];
    const allClosed = Promise.all(sockets.map((socket) => socket.closed));
    for (const socket of sockets) void socket.close(code, reason);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace">((resolve) => {
      timer = setTimeout(() => resolve("grace"), graceMs);
    });
    try {
      if ((await Promise.race([allClosed, graceOver])) === "grace") {
        this.#options.logger.warn(
          { sockets: this.#sockets.size },
          "sockets still open after the grace period, terminating",
        );
        for (const socket of sockets) socket.terminate();
        await allClosed;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
