// A minimal API for the tunnel tests, built on @conduit/host exactly as
// apps/api embeds it: createConduitHost attached to a node:http server, plus
// the loopback MCP listener. Its stream reads the body, declares the mcps,
// registers `agents` response ids, announces each with one chunk so the
// attach client learns them, and keeps the socket open until the test says
// otherwise (or the client goes away).
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AttachSession } from "@conduit/client";
import { createConduitHost, type ConduitHost, type ConduitSession, type McpEndpoint } from "@conduit/host";
import { mintResponseId, type Chunk } from "@conduit/protocol";

export interface TestStreamBody {
  /** How many response ids (agents) the stream registers. */
  agents: number;
  /** The mcps the route serves for them (the body's client_objectiveai_mcp.mcps). */
  mcps: string[];
}

export interface TestApi {
  readonly wsUrl: string;
  readonly mcp: McpEndpoint;
  readonly host: ConduitHost;
  /** Every attached socket's session, in connection order. */
  readonly sessions: ConduitSession[];
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

async function runStream(session: ConduitSession): Promise<void> {
  const body = await session.readBody(validateBody);
  if (!body.ok) return;
  session.declare(body.value.mcps);
  for (let index = 0; index < body.value.agents; index++) {
    const id = mintResponseId();
    if (!session.register(id)) return;
    await session.send(chunkFor(id, index, `agent ${index} ready`));
  }
}

export async function startTestApi(options: { timeoutMs?: number } = {}): Promise<TestApi> {
  const notified: Array<[string, string]> = [];
  const sessions: ConduitSession[] = [];
  const host = createConduitHost({
    timeoutMs: options.timeoutMs ?? 30_000,
    notify: (responseId, content) => {
      notified.push([responseId, content]);
    },
    onSession: (session) => {
      sessions.push(session);
      return runStream(session);
    },
  });
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const detach = host.attach(server);
  const mcp = await host.listenMcp();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/agent/completions`,
    mcp,
    host,
    sessions,
    notified,
    async close() {
      await host.close({ reason: "test over", graceMs: 500 });
      detach();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
