// The baseline of the scale benches, in its own process: a bare `ws` server and
// a bare node:http SSE server on 127.0.0.1 port 0. A socket's first message
// (the body frame) is answered with a chunk carrying a fresh response id; an
// `mcp_list_changed` client_request writes the tools list_changed event to
// every open SSE response and is answered ok. No routing, no limits, no
// bookkeeping beyond the set of open responses: the least a server can do.
// Answers the parent's `stats`, `heap` (needs --expose-gc), `idle` and `close`.
import { once } from "node:events";
import { createServer } from "node:http";
import { SUBPROTOCOL_V2, listChangedMethod, mintResponseId } from "@conduit/protocol";
import { WebSocketServer } from "ws";
import { serveParent } from "./ipc.mjs";
import { heapAfterGc, waitFor } from "./heap.mjs";

const LIST_CHANGED_EVENT = `data: ${JSON.stringify({ jsonrpc: "2.0", method: listChangedMethod("tools") })}\n\n`;
const SSE_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" };

const responses = new Set();
const sseServer = createServer((req, res) => {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  responses.add(res);
  res.once("close", () => responses.delete(res));
});
// No request or headers timeout cuts an open event stream.
sseServer.requestTimeout = 0;
sseServer.maxConnections = Infinity;

const wsServer = createServer();
const wss = new WebSocketServer({
  server: wsServer,
  handleProtocols: (offered) => (offered.has(SUBPROTOCOL_V2) ? SUBPROTOCOL_V2 : false),
});
let announced = 0;
wss.on("connection", (ws) => {
  let sawBody = false;
  ws.on("message", (data) => {
    if (!sawBody) {
      sawBody = true;
      announced++;
      const chunk = {
        id: mintResponseId(),
        object: "agent.completion.chunk",
        index: 0,
        created: 0,
        delta: { content: "ready" },
      };
      ws.send(JSON.stringify({ type: "chunk", data: chunk }));
      ws.once("close", () => announced--);
      return;
    }
    const frame = JSON.parse(String(data));
    if (frame.method !== "mcp_list_changed") return;
    for (const res of responses) res.write(LIST_CHANGED_EVENT);
    ws.send(JSON.stringify({ type: "client_response", id: frame.id, ok: true }));
  });
});

sseServer.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
wsServer.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
await Promise.all([once(sseServer, "listening"), once(wsServer, "listening")]);

const stats = () => ({ sockets: wss.clients.size, registeredIds: announced, streams: responses.size });

serveParent(
  {
    stats,
    heap: () => heapAfterGc(),
    idle: () => waitFor(() => Object.values(stats()).every((n) => n === 0), "the bare servers to hold nothing"),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      sseServer.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => wss.close(resolve)),
        new Promise((resolve) => sseServer.close(resolve)),
        new Promise((resolve) => wsServer.close(resolve)),
      ]);
    },
  },
  {
    apiUrl: `ws://127.0.0.1:${wsServer.address().port}/agent/completions`,
    mcpUrl: `http://127.0.0.1:${sseServer.address().port}`,
  },
);
