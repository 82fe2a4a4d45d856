// Chunk throughput through AttachedSocket.send (tracker, encode, backpressure)
// against a bare ws.send loop, in one run over real loopback sockets.
// Run after `npx tsup`: node bench/send.bench.mjs   (BENCH_CHUNKS=… to resize)
import { once } from "node:events";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { SUBPROTOCOL } from "@conduit/protocol";
import { ReverseChannelRegistry } from "@conduit/registry";
import { WebSocket } from "ws";
import { AttachedSockets, createUpgradeHandler } from "../dist/index.js";

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 200_000);
const ROUNDS = 3;
const HIGH_WATER_MARK = 1024 * 1024;
const CONTENT = "The quick brown fox jumps over the lazy dog. ".repeat(2);

function makeChunk(i) {
  return {
    id: "resp_benchmark_0123456789abcdef",
    object: "agent.completion.chunk",
    index: i % 8,
    created: 1_700_000_000,
    delta: { content: CONTENT },
  };
}

const conduit = new AttachedSockets({
  registry: new ReverseChannelRegistry(),
  streams: socketHooksFor(new SseStreamRegistry()),
  notify: () => {},
  bodyTimeoutMs: 0,
  highWaterMark: HIGH_WATER_MARK,
});
const accepted = [];
let onAccepted = () => {};
const upgrade = createUpgradeHandler({
  path: "/bench",
  onConnection: (ws) => {
    accepted.push(ws);
    onAccepted();
  },
});
const server = createServer();
server.on("upgrade", upgrade.handle);
server.listen(0, "127.0.0.1");
await once(server, "listening");
const url = `ws://127.0.0.1:${server.address().port}/bench`;

/** Opens a client that counts chunk frames; resolves `done` after `expected` of them. */
async function openClient(expected) {
  const serverSide = new Promise((resolve) => (onAccepted = () => resolve(accepted.shift())));
  const client = new WebSocket(url, [SUBPROTOCOL]);
  let received = 0;
  const done = new Promise((resolve) => {
    client.on("message", () => {
      received += 1;
      if (received === expected) resolve(performance.now());
    });
  });
  await once(client, "open");
  return { client, ws: await serverSide, done };
}

async function bareRound() {
  const { client, ws, done } = await openClient(CHUNKS);
  const start = performance.now();
  for (let i = 0; i < CHUNKS; i += 1) {
    const text = JSON.stringify({ type: "chunk", data: makeChunk(i) });
    if (ws.bufferedAmount > HIGH_WATER_MARK) await new Promise((resolve) => ws.send(text, resolve));
    else ws.send(text);
  }
  const end = await done;
  client.terminate();
  return CHUNKS / ((end - start) / 1000);
}

async function conduitRound() {
  const { client, ws, done } = await openClient(CHUNKS);
  const attached = conduit.attach(ws);
  const start = performance.now();
  for (let i = 0; i < CHUNKS; i += 1) await attached.send(makeChunk(i));
  const end = await done;
  client.terminate();
  await attached.closed;
  return CHUNKS / ((end - start) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const bare = [];
const viaConduit = [];
const benchStart = performance.now();
await bareRound(); // warm-up
for (let round = 0; round < ROUNDS; round += 1) {
  bare.push(await bareRound());
  viaConduit.push(await conduitRound());
}

const print = (line) => process.stdout.write(`${line}\n`);
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const bareMedian = median(bare);
const conduitMedian = median(viaConduit);
print(
  `chunks per round: ${CHUNKS}, frame ≈ ${JSON.stringify({ type: "chunk", data: makeChunk(0) }).length} bytes, rounds: ${ROUNDS} (median)`,
);
print(`bare ws.send              ${fmt(bareMedian).padStart(10)} chunks/s   [${bare.map(fmt).join(", ")}]`);
print(`AttachedSocket.send       ${fmt(conduitMedian).padStart(10)} chunks/s   [${viaConduit.map(fmt).join(", ")}]`);
print(`ratio conduit / bare      ${(conduitMedian / bareMedian).toFixed(2)}`);
print(`peak RSS                  ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
print(`wall time                 ${((performance.now() - benchStart) / 1000).toFixed(1)} s`);

await conduit.closeAll(1001, "bench over", 500);
upgrade.close();
server.close();
