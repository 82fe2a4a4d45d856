// A client process of the idle-socket bench: on `open` it attaches `count`
// WebSockets to `apiUrl` and, for each one's response id, opens one GET SSE
// stream on `mcpUrl`; then it holds them. `check` counts those still open
// (a socket that closed or a stream that ended is counted as lost); `close`
// drops everything and exits. Each process stays under the per-process file
// descriptor limit: it holds two sockets per pair.
import { Agent } from "node:http";
import { attachSocket, inPool, openEventStream } from "./client-side.mjs";
import { serveParent } from "./ipc.mjs";

/** Connections being opened at once: well under the servers' listen backlog. */
const CONCURRENCY = 64;

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
const sockets = [];
const streams = [];
let lost = 0;

serveParent(
  {
    async open({ apiUrl, mcpUrl, count }) {
      await inPool(count, CONCURRENCY, async () => {
        const { ws, responseId } = await attachSocket(apiUrl);
        sockets.push(ws);
        ws.once("close", () => lost++);
        const { req, res } = await openEventStream(mcpUrl, responseId, agent);
        streams.push(req);
        res.resume(); // keepalive comments are read and dropped
        res.once("close", () => lost++);
      });
      return { sockets: sockets.length, streams: streams.length };
    },
    check: () => ({
      sockets: sockets.filter((ws) => ws.readyState === ws.OPEN).length,
      streams: streams.filter((req) => !req.destroyed && !req.res?.destroyed).length,
      lost,
    }),
    close() {
      for (const ws of sockets) {
        ws.removeAllListeners("close");
        ws.terminate();
      }
      for (const req of streams) {
        req.res?.removeAllListeners("close");
        req.destroy();
      }
      agent.destroy();
    },
  },
  true,
);
