// What each `server` README example must answer once it prints its URL.
import { request } from "node:http";
import WebSocket from "ws";

export type Probe = (url: string) => Promise<void>;

/** A stream example: the body goes out, `expected` comes back as content, then finish "stop" and close 1000. */
async function streamProbe(url: string, body: unknown, expected: string): Promise<void> {
  const ws = new WebSocket(url, ["conduit.v2"], { headers: { authorization: "Bearer dev-key" } });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let content = "";
  let finish: unknown;
  ws.on("message", (data: Buffer) => {
    type Chunk = { delta?: { content: string }; finish_reason?: string };
    const frame = JSON.parse(data.toString("utf8")) as { type?: string; data?: Chunk };
    if (frame.type !== "chunk" || !frame.data) return;
    const chunk = frame.data;
    if (chunk.delta) content += chunk.delta.content;
    if (chunk.finish_reason) finish = chunk.finish_reason;
  });
  ws.send(JSON.stringify(body));
  const code = await new Promise<number>((resolve) => ws.once("close", (closeCode: number) => resolve(closeCode)));
  if (content !== expected || finish !== "stop" || code !== 1000) {
    throw new Error(`unexpected stream: ${JSON.stringify({ content, finish, code })}`);
  }
}

/** listeners: a tools list_changed event on the SSE stream of the id `demo`. */
async function listenersProbe(url: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { headers: { "x-objectiveai-response-id": "demo" } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (text.includes('data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.once("error", reject);
    req.end();
  });
}

/**
 * What the stdout of a run example must show, keyed by README and the example's place among that README's
 * run examples (1-based): the results its comments claim.
 */
export const expectedOutput: Record<string, RegExp[]> = {
  "packages/protocol/README.md#1": [/^invalid_frame: /m, /^1$/m, /^true$/m, /^false$/m, /^504$/m],
  "packages/registry/README.md#1": [/answered: 'tools\/list'/, /^\[ 'resp_example' \]$/m, /^-32001 404$/m],
  "packages/mcp-route/README.md#1": [/^200 \{/m, /name: 'hello'|tools: \[/],
  "packages/mcp-route/README.md#2": [/^ok$/m, /^404 \{/m, /-32001/],
  "packages/mcp-route/README.md#3": [/^session-1 \[/m, /read_file/],
  "packages/client/README.md#1": [/→ echo/, /✉ thanks, keep going/, /done/, /kind: 'finished'/],
};

export const probes: Record<string, Probe> = {
  "packages/ws-server/README.md": (url) =>
    streamProbe(url, { agent: { upstream: "mock", turns: [{ content: "ignored" }] } }, "Hello from Conduit"),
  "packages/host/README.md": (url) => streamProbe(url, { mcps: ["objectiveai"] }, "hi"),
  "packages/listeners/README.md": listenersProbe,
};
