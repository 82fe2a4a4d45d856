// The user's and the agent's side of the scale benches: an attached WebSocket
// speaking the conduit frames (`ws`), and GET SSE streams on the MCP listener
// (node:http), the same against the Conduit host and the bare baseline.
import { request } from "node:http";
import { Header, OBJECTIVEAI_MCP, SUBPROTOCOL_V2 } from "@conduit/protocol";
import { WebSocket } from "ws";

/** The body frame: the stream declares the one mcp the GET streams use. */
export const BODY = { bench: true, client_objectiveai_mcp: { mcps: [OBJECTIVEAI_MCP] } };

/**
 * Opens a WebSocket, sends the body frame and resolves with the response id
 * announced by the first chunk. Rejects on an error frame, a close or a socket
 * error before it.
 */
export function attachSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [SUBPROTOCOL_V2]);
    const failed = (reason) => {
      ws.terminate();
      reject(new Error(`attach ${url}: ${reason}`));
    };
    ws.once("open", () => ws.send(JSON.stringify(BODY)));
    ws.once("error", (error) => failed(error.message));
    ws.once("close", (code) => failed(`closed ${code} before the first chunk`));
    ws.once("message", (data) => {
      ws.removeAllListeners("close");
      ws.removeAllListeners("error");
      const frame = JSON.parse(String(data));
      if (frame.type !== "chunk" || typeof frame.data?.id !== "string") {
        failed(`the first frame was not a chunk: ${String(data).slice(0, 200)}`);
        return;
      }
      resolve({ ws, responseId: frame.data.id });
    });
  });
}

/**
 * Opens one GET SSE stream for `responseId` on `mcpUrl` and resolves with the
 * response once its 200 headers arrived (the subscription exists by then).
 * Rejects with the status and body of any other answer.
 */
export function openEventStream(mcpUrl, responseId, agent) {
  return new Promise((resolve, reject) => {
    const req = request(`${mcpUrl}/${OBJECTIVEAI_MCP}`, {
      method: "GET",
      agent,
      headers: { accept: "text/event-stream", [Header.ResponseId]: responseId },
    });
    req.once("error", (error) => reject(new Error(`GET stream: ${error.message}`)));
    req.once("response", (res) => {
      if (res.statusCode === 200) {
        res.setEncoding("utf8");
        resolve({ req, res });
        return;
      }
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (text) => (body += text));
      res.once("end", () => reject(new Error(`GET stream answered ${res.statusCode}: ${body.slice(0, 200)}`)));
    });
    req.end();
  });
}

/** Calls `onEvent(text)` for every complete SSE event of `res` that is not a comment (keepalives are). */
export function onEvents(res, onEvent) {
  let buffered = "";
  res.on("data", (text) => {
    buffered += text;
    let end = buffered.indexOf("\n\n");
    while (end !== -1) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith(":")) onEvent(event);
      end = buffered.indexOf("\n\n");
    }
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; rejects on the first failure. */
export async function inPool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
