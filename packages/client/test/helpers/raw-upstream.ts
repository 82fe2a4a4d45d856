// A node:http server on 127.0.0.1:0 that plays a Streamable HTTP upstream byte
// by byte (the test writes each answer), and records what the client sent.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { JsonRpcPeer } from "../../src/upstream/jsonrpc-peer.js";
import { HttpTransport } from "../../src/upstream/http.js";
import type { HttpUpstreamLimits } from "../../src/types.js";

export interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body of a POST. */
  body: Record<string, unknown> | undefined;
}

export type RawHandler = (request: Received, res: ServerResponse, req: IncomingMessage) => void;

export interface RawUpstream {
  url: string;
  received: Received[];
  /** TCP connections the server accepted. */
  connections: number;
  close(): Promise<void>;
}

export async function startRawUpstream(handler: RawHandler): Promise<RawUpstream> {
  const state = { received: [] as Received[], connections: 0 };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      const received: Received = {
        method: req.method ?? "",
        headers: req.headers,
        body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      };
      state.received.push(received);
      handler(received, res, req);
    });
  });
  server.on("connection", () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get received() {
      return state.received;
    },
    get connections() {
      return state.connections;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One JSON-RPC message as an SSE event. */
export function sseEvent(message: unknown, id?: string): string {
  return `${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(message)}\n\n`;
}

export function json(res: ServerResponse, message: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(message);
  res.writeHead(200, { "content-type": "application/json", ...headers }).end(body);
}

/** A JsonRpcPeer over an HttpTransport to `url`; `unrelated` collects what belongs to no request. */
export function httpPeer(
  url: string,
  limits: HttpUpstreamLimits = {},
): { peer: JsonRpcPeer; transport: HttpTransport; unrelated: unknown[]; errors: string[] } {
  const transport = new HttpTransport({ kind: "http", url, ...limits }, {});
  const unrelated: unknown[] = [];
  const errors: string[] = [];
  const peer = new JsonRpcPeer(transport, {
    name: "upstream test",
    log: (_level, message) => errors.push(message),
    onNotification: () => undefined,
    onUnrelated: (message) => unrelated.push(message),
    onClose: () => undefined,
  });
  return { peer, transport, unrelated, errors };
}
