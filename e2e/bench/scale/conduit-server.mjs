// A Conduit host in its own process, for the scale benches: `createConduitHost`
// with its WebSocket endpoint on a node:http server and its loopback MCP
// listener, both on 127.0.0.1 port 0. Each attached socket gets one response
// id, registered and announced in a first chunk; the socket then stays open.
// Answers the parent's `stats`, `heap` (needs --expose-gc) and `close` (ipc.mjs).
// Env: SCALE_STREAMS_PER_ID (GET streams one id may hold), SCALE_MCP_CONNECTIONS.
import { once } from "node:events";
import { createServer } from "node:http";
import process from "node:process";
import { createConduitHost } from "@conduit/host";
import { OBJECTIVEAI_MCP } from "@conduit/protocol";
import { announceOneAgent } from "./announce.mjs";
import { serveParent } from "./ipc.mjs";
import { heapAfterGc, waitFor } from "./heap.mjs";

const host = createConduitHost({
  maxSseSubscribersPerId: Number(process.env.SCALE_STREAMS_PER_ID ?? 16),
  mcpMaxConnections: Number(process.env.SCALE_MCP_CONNECTIONS ?? 4096),
  onSession: (session) => announceOneAgent(session, [OBJECTIVEAI_MCP]),
});
const apiServer = createServer((_req, res) => {
  res.statusCode = 404;
  res.end();
});
host.attach(apiServer);
const mcp = await host.listenMcp();
apiServer.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
await once(apiServer, "listening");

const stats = () => {
  const { sockets, registeredIds, sseSubscribers } = host.stats();
  return { sockets, registeredIds, streams: sseSubscribers };
};

serveParent(
  {
    stats,
    heap: () => heapAfterGc(),
    idle: () => waitFor(() => Object.values(stats()).every((n) => n === 0), "the host to hold no socket or stream"),
    close: async () => {
      await host.close({ reason: "bench over", graceMs: 1000 });
      apiServer.closeAllConnections();
      await new Promise((resolve) => apiServer.close(resolve));
    },
  },
  { apiUrl: `ws://127.0.0.1:${apiServer.address().port}/agent/completions`, mcpUrl: mcp.url },
);
