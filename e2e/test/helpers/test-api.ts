// A minimal API for the tunnel tests, composed from the real packages exactly
// as apps/api composes them: node:http + ws-server + mcp-route. Its "stream"
// mints response ids, registers them on the socket, emits one chunk per id so
// the attach client learns them, and keeps the socket open until the test
// says otherwise (or the client goes away).
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AttachSession } from "@conduit/client";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { createMcpListener, type McpListener } from "@conduit/mcp-route";
import { mintResponseId, type Chunk } from "@conduit/protocol";
import { ReverseChannelRegistry } from "@conduit/registry";
import { AttachedSockets, createUpgradeHandler, type AttachedSocket } from "@conduit/ws-server";

export interface TestStreamBody {
  /** How many response ids (agents) the stream registers. */
  agents: number;
  /** The mcps the route serves for them (the body's client_objectiveai_mcp.mcps). */
  mcps: string[];
}

export interface TestApi {
  readonly wsUrl: string;
  readonly mcp: McpListener;
  readonly registry: ReverseChannelRegistry;
  readonly listeners: SseStreamRegistry;
  readonly conduit: AttachedSockets;
  /** Every attached socket, in connection order. */
  readonly sockets: AttachedSocket[];
  /** notify calls the API received, as [responseId, content]. */
  readonly notified: Array<[string, string]>;
  close(): Promise<void>;
}

export function chunkFor(id: string, index: number, content: string): Chunk {
  return { id, object: "agent.completion.chunk", index, created: Math.floor(Date.now() / 1000), delta: { content } };
}

function validateBody(json: unknown): { ok: true; value: TestStreamBody } | { ok: false; message: string } {
  const agents = (json as { agents?: unknown } | null)?.agents;
  if (typeof agents !== "number" || !Number.isInteger(agents) || agents < 1) {
    return { ok: false, message: "field agents: expected a positive integer" };
  }
  const declared = (json as { client_objectiveai_mcp?: { mcps?: unknown } }).client_objectiveai_mcp?.mcps;
  const mcps = Array.isArray(declared) ? declared.filter((mcp): mcp is string => typeof mcp === "string") : [];
  return { ok: true, value: { agents, mcps } };
}

/** The response ids of the stream's first `agents` agents, from the one chunk each announces itself with. */
export async function announcedIds(session: AttachSession, agents: number): Promise<string[]> {
  const chunks = session[Symbol.asyncIterator]();
  const ids: string[] = [];
  while (ids.length < agents) {
    const next = await chunks.next();
    if (next.done) throw new Error("stream ended before every agent was announced");
    ids.push(next.value.id);
  }
  return ids;
}

async function runStream(socket: AttachedSocket): Promise<void> {
  const body = await socket.readBody(validateBody);
  if (!body.ok) return;
  socket.declare(body.value.mcps);
  for (let index = 0; index < body.value.agents; index++) {
    const id = mintResponseId();
    socket.register(id);
    await socket.send(chunkFor(id, index, `agent ${index} ready`));
  }
}

export async function startTestApi(options: { timeoutMs?: number } = {}): Promise<TestApi> {
  const registry = new ReverseChannelRegistry();
  const listeners = new SseStreamRegistry();
  const notified: Array<[string, string]> = [];
  const conduit = new AttachedSockets({
    registry,
    streams: socketHooksFor(listeners),
    timeoutMs: options.timeoutMs ?? 30_000,
    notify: (responseId, content) => {
      notified.push([responseId, content]);
    },
  });
  const mcp = await createMcpListener({ registry, listeners, timeoutMs: options.timeoutMs ?? 30_000, port: 0 });
  const sockets: AttachedSocket[] = [];
  const upgrade = createUpgradeHandler({
    path: "/agent/completions",
    onConnection: (ws) => {
      const socket = conduit.attach(ws);
      sockets.push(socket);
      void runStream(socket);
    },
  });
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on("upgrade", upgrade.handle);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/agent/completions`,
    mcp,
    registry,
    listeners,
    conduit,
    sockets,
    notified,
    async close() {
      await conduit.closeAll(1001, "test over", 500);
      upgrade.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mcp.close();
    },
  };
}
