// tools/call round-trip throughput through the MCP route (in-process attach
// client that answers instantly) against a bare node:http server that parses
// the same JSON-RPC body and answers it directly. Run after `npx tsup`:
//   node bench/route.bench.mjs        (BENCH_N / BENCH_C / BENCH_ROUNDS scale it)
// Both servers share the process with the client, so the figures are client-
// bound; the two are measured in alternating rounds and the best round of each
// is kept, which evens out noise from anything else running on the machine.
import { Buffer } from "node:buffer";
import console from "node:console";
import { createServer } from "node:http";
import process from "node:process";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SseStreamRegistry } from "@conduit/listeners";
import { ReverseChannel, ReverseChannelRegistry } from "@conduit/registry";
import { createMcpListener } from "../dist/index.js";

const { fetch } = globalThis;
const SEQUENTIAL = Number(process.env.BENCH_N ?? 800);
const CONCURRENT_TOTAL = Number(process.env.BENCH_C ?? 2400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 16;
const WARMUP = 500;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

const RESULT = { content: [{ type: "text", text: "hello from the upstream tool" }], isError: false };
const RESULT_JSON = JSON.stringify(RESULT);
const BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "echo", arguments: { text: "hello", count: 3 } },
});

// ── the route, with an attach client that answers every server_request at once ──
const registry = new ReverseChannelRegistry();
const listeners = new SseStreamRegistry();
const channel = new ReverseChannel({
  write(frame) {
    channel.deliver({ type: "server_response", id: frame.id, result: RESULT });
  },
});
const responseId = "resp_bench0000000000000000000";
channel.declare(["objectiveai"]);
registry.register(responseId, channel);
const route = await createMcpListener({ registry, listeners });

// ── the baseline: parse the same body, answer directly ──
const baseline = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":${RESULT_JSON}}`;
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise((resolve) => baseline.listen(0, "127.0.0.1", resolve));
const baselineUrl = `http://127.0.0.1:${baseline.address().port}/objectiveai`;
const routeUrl = `${route.url}/objectiveai`;

const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  "x-objectiveai-response-id": responseId,
  "mcp-session-id": "sess-bench",
  "mcp-protocol-version": "2025-06-18",
};

async function call(url) {
  const response = await fetch(url, { method: "POST", headers: HEADERS, body: BODY });
  const json = await response.json();
  if (response.status !== 200 || json.result === undefined) throw new Error(`bad answer ${response.status}`);
}

async function sequential(url, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await call(url);
  return n / ((performance.now() - start) / 1000);
}

async function concurrent(url, total) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await call(url);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total / ((performance.now() - start) / 1000);
}

const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(8);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

await sequential(baselineUrl, WARMUP);
await sequential(routeUrl, WARMUP);
await concurrent(baselineUrl, WARMUP);
await concurrent(routeUrl, WARMUP);

gc();
const before = process.memoryUsage();
const started = performance.now();

const best = { seqBase: 0, seqRoute: 0, conBase: 0, conRoute: 0 };
for (let round = 0; round < ROUNDS; round++) {
  best.seqBase = Math.max(best.seqBase, await sequential(baselineUrl, SEQUENTIAL));
  best.seqRoute = Math.max(best.seqRoute, await sequential(routeUrl, SEQUENTIAL));
  best.conBase = Math.max(best.conBase, await concurrent(baselineUrl, CONCURRENT_TOTAL));
  best.conRoute = Math.max(best.conRoute, await concurrent(routeUrl, CONCURRENT_TOTAL));
}
const seconds = (performance.now() - started) / 1000;

gc();
const after = process.memoryUsage();
const growth = (key) =>
  `${mb(before[key])} → ${mb(after[key])} (${after[key] >= before[key] ? "+" : ""}${mb(after[key] - before[key])})`;

console.log(`tools/call round trip over keep-alive fetch, node ${process.version}, best of ${ROUNDS} rounds`);
const row = (label, base, route) =>
  console.log(`${label.padEnd(30)} ${fmt(base)}   ${fmt(route)}   ${(route / base).toFixed(2)}`);
console.log(`${"req/s".padEnd(30)} baseline      route   route/baseline`);
row(`sequential (n=${SEQUENTIAL}/round)`, best.seqBase, best.seqRoute);
row(`concurrency 16 (n=${CONCURRENT_TOTAL}/round)`, best.conBase, best.conRoute);
console.log(`RSS  ${growth("rss")} over ${seconds.toFixed(1)} s after warm-up`);
console.log(`heap ${growth("heapUsed")}`);
console.log(`pending after run: ${channel.pending.size}, SSE keys: ${listeners.keyCount}`);

await route.close();
await new Promise((resolve) => {
  baseline.close(resolve);
  baseline.closeAllConnections();
});
