// The stdio upstream transport with real child processes: newline-delimited
// JSON, the bound on one line, and the end of a child that ignores SIGTERM.
import { afterEach, expect, test } from "vitest";
import { JsonRpcPeer } from "../src/upstream/jsonrpc-peer.js";
import { StdioTransport } from "../src/upstream/stdio.js";
import { isAlive } from "./helpers/processes.js";

const CALL_MS = 20_000;

// Answers every request with a result whose JSON line is exactly SIZE bytes, after a line that is not JSON.
const CHILD = `
const size = Number(process.env.SIZE);
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => {
  pending += text;
  for (let end = pending.indexOf("\\n"); end >= 0; end = pending.indexOf("\\n")) {
    const message = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    if (message.id === undefined) continue;
    const empty = JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { pad: "" } });
    process.stdout.write("this line is not JSON\\n");
    process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { pad: "x".repeat(size - empty.length) } }) + "\\n");
  }
});
if (process.env.IGNORE_TERM) {
  process.on("SIGTERM", () => console.error("SIGTERM ignored"));
  setInterval(() => undefined, 1_000);
}
`;

const peers: JsonRpcPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
});

function child(env: Record<string, string>, maxLineBytes?: number): { peer: JsonRpcPeer; transport: StdioTransport } {
  const transport = new StdioTransport(
    {
      kind: "stdio",
      command: process.execPath,
      args: ["-e", CHILD],
      env,
      ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
    },
    {},
    "upstream test",
    () => undefined,
  );
  const peer = new JsonRpcPeer(transport, {
    name: "upstream test",
    log: () => undefined,
    onNotification: () => undefined,
    onClose: () => undefined,
  });
  peers.push(peer);
  return { peer, transport };
}

test("maxLineBytes: a message line of exactly N bytes is delivered; N+1 ends the child and fails the call", async () => {
  const SIZE = 5_000;
  const fits = child({ SIZE: String(SIZE) }, SIZE);
  await fits.peer.start();
  // The line that is not JSON before it is skipped.
  const answer = await fits.peer.request("tools/list", {}, CALL_MS);
  expect(JSON.stringify({ jsonrpc: "2.0", id: 1, result: answer })).toHaveLength(SIZE);

  const over = child({ SIZE: String(SIZE + 1) }, SIZE);
  await over.peer.start();
  const pid = over.transport.pid as number;
  await expect(over.peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(
    `upstream test closed before answering tools/list: it wrote a message line longer than ${SIZE} bytes (maxLineBytes)`,
  );
  expect(over.peer.isClosed).toBe(true);
  expect(isAlive(pid)).toBe(false);
});

test("close() ends a child that ignores stdin closing and SIGTERM with SIGKILL, and resolves once it has exited", async () => {
  const { peer, transport } = child({ SIZE: "100", IGNORE_TERM: "1" });
  await peer.start();
  await peer.request("ping", {}, CALL_MS);
  const pid = transport.pid as number;
  await peer.close();
  expect(isAlive(pid)).toBe(false);
  expect(peer.isClosed).toBe(true);
});
