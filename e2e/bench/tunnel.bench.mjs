// tools/call round trips of the official SDK Client (the agent) through the
// whole tunnel — loopback mcp-route → reverse channel → WebSocket → attach()
// → HTTP upstream and back — against the same SDK Client talking to that same
// upstream directly. Everything runs in this one process on 127.0.0.1.
// Run after `pnpm turbo build`:
//   node bench/tunnel.bench.mjs     (BENCH_N / BENCH_C / BENCH_ROUNDS scale it)
// Baseline and tunnel are measured in alternating rounds; calls/s is the median
// round, latencies are pooled over every sequential round of each side.
import console from "node:console";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout } from "node:timers";
import { URL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createConduitHost } from "@conduit/host";
import { Header, OBJECTIVEAI_MCP } from "@conduit/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { attach } from "@conduit/client";
import { announceOneAgent } from "./scale/announce.mjs";

const SEQUENTIAL = Number(process.env.BENCH_N ?? 500);
const CONCURRENT_TOTAL = Number(process.env.BENCH_C ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 16;
const WARMUP = 600;
/** A hung part must not keep the bench (or CI) waiting: fail loudly instead. */
const WATCHDOG_MS = 180_000;

const watchdog = setTimeout(() => {
  console.error(`bench did not finish within ${WATCHDOG_MS / 1000} s`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// The SDK's StreamableHTTPClientTransport passes its one long-lived AbortSignal
// to every fetch; undici adds an abort listener to it per Request and removes
// it only when that Request is garbage-collected, so a few thousand calls
// between two major GCs cross undici's limit of 1500 and Node prints one
// MaxListenersExceededWarning per further call — on the agents' transports and
// on attach()'s own transport to the upstream alike. Counted and summarised
// here instead of printed a thousand times; any other warning is printed as is.
const abortWarnings = { count: 0, peak: 0 };
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === "MaxListenersExceededWarning" && warning.type === "abort") {
    abortWarnings.count++;
    abortWarnings.peak = Math.max(abortWarnings.peak, warning.count ?? 0);
  } else {
    console.error(warning);
  }
});

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
const benchStart = performance.now();

// ── the upstream: an SDK McpServer over Streamable HTTP, one instance per session ──
const upstreamSessions = new Map();
const upstreamServer = createServer(async (req, res) => {
  const sessionId = req.headers["mcp-session-id"];
  let transport = typeof sessionId === "string" ? upstreamSessions.get(sessionId) : undefined;
  if (!transport) {
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => upstreamSessions.set(id, created),
    });
    const server = new McpServer({ name: "bench-upstream", version: "1.0.0" });
    server.registerTool(
      "echo",
      { description: "echoes its text", inputSchema: { text: z.string() } },
      async ({ text }) => ({
        content: [{ type: "text", text }],
      }),
    );
    await server.connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res);
});
upstreamServer.listen(0, "127.0.0.1");
await once(upstreamServer, "listening");
const upstreamUrl = `http://127.0.0.1:${upstreamServer.address().port}/mcp`;

// ── the API side, as apps/api embeds it: @conduit/host on a node:http server ──
const sessions = [];
const host = createConduitHost({
  notify: () => {},
  onSession: (session) => {
    sessions.push(session);
    return announceOneAgent(session);
  },
});
const apiServer = createServer((_req, res) => {
  res.statusCode = 404;
  res.end();
});
const detach = host.attach(apiServer);
const route = await host.listenMcp();
apiServer.listen(0, "127.0.0.1");
await once(apiServer, "listening");

// ── the user's side: attach() with the same upstream over HTTP ──
const session = attach({
  url: `ws://127.0.0.1:${apiServer.address().port}/agent/completions`,
  body: { bench: true, client_objectiveai_mcp: { mcps: [OBJECTIVEAI_MCP] } },
  mcps: { [OBJECTIVEAI_MCP]: { kind: "http", url: upstreamUrl } },
});
const first = await session[Symbol.asyncIterator]().next();
if (first.done) throw new Error("the stream ended before announcing its response id");
const responseId = first.value.id;

// ── the two agents ──
async function connectAgent(url, headers) {
  const client = new Client({ name: "bench-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
const baseline = await connectAgent(upstreamUrl, {});
const tunnel = await connectAgent(`${route.url}/${OBJECTIVEAI_MCP}`, { [Header.ResponseId]: responseId });

const ARGS = { name: "echo", arguments: { text: "hello through the tunnel" } };
async function call(client) {
  const result = await client.callTool(ARGS);
  if (result.isError || result.content?.[0]?.text !== ARGS.arguments.text) {
    throw new Error(`bad answer: ${JSON.stringify(result)}`);
  }
}

/** Returns calls/s and fills `latencies` (ms) with one entry per call. */
async function sequential(client, n, latencies) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(client);
    latencies.push(performance.now() - t0);
  }
  return n / ((performance.now() - start) / 1000);
}

async function concurrent(client, total) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await call(client);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total / ((performance.now() - start) / 1000);
}

await sequential(baseline, WARMUP, []);
await sequential(tunnel, WARMUP, []);
await concurrent(baseline, WARMUP);
await concurrent(tunnel, WARMUP);

gc();
const before = process.memoryUsage();
const measuredStart = performance.now();

const runs = {
  seqBase: [],
  seqTunnel: [],
  conBase: [],
  conTunnel: [],
  latBase: [],
  latTunnel: [],
};
// A full GC before every timed phase, outside the timing: no phase pays for the
// garbage of the one before it.
const phase = async (run) => {
  gc();
  return run();
};
for (let round = 0; round < ROUNDS; round++) {
  runs.seqBase.push(await phase(() => sequential(baseline, SEQUENTIAL, runs.latBase)));
  runs.seqTunnel.push(await phase(() => sequential(tunnel, SEQUENTIAL, runs.latTunnel)));
  runs.conBase.push(await phase(() => concurrent(baseline, CONCURRENT_TOTAL)));
  runs.conTunnel.push(await phase(() => concurrent(tunnel, CONCURRENT_TOTAL)));
}
const measuredSeconds = (performance.now() - measuredStart) / 1000;

// Every call has been answered: nothing may be left waiting on the channel.
const pendingAfter = sessions[0].inFlight;
const hostPending = host.stats().pendingRequests;
const registryWhileAttached = host.stats().registeredIds;
gc();
const after = process.memoryUsage();

// ── shut everything down; the ids must leave the registry with the socket ──
await baseline.close();
await tunnel.close();
await session.close();
await sessions[0].closed;
const registryAfterClose = host.stats().registeredIds;
const sseAfterClose = host.stats().sseSubscribers;
await host.close({ reason: "bench over", graceMs: 500 });
detach();
apiServer.closeAllConnections();
await new Promise((resolve) => apiServer.close(resolve));
for (const transport of upstreamSessions.values()) await transport.close();
upstreamServer.closeAllConnections();
await new Promise((resolve) => upstreamServer.close(resolve));

// ── report ──
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(8);
const ms = (n) => `${n.toFixed(2)} ms`.padStart(8);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const growth = (key) =>
  `${mb(before[key])} → ${mb(after[key])} (${after[key] >= before[key] ? "+" : ""}${mb(after[key] - before[key])})`;
const rounds = (values) => `[${values.map((v) => Math.round(v)).join(", ")}]`;

const seqBase = median(runs.seqBase);
const seqTunnel = median(runs.seqTunnel);
const conBase = median(runs.conBase);
const conTunnel = median(runs.conTunnel);
const print = (line) => console.log(line);
print(`SDK Client tools/call round trips, node ${process.version}, median of ${ROUNDS} alternating rounds`);
print(`${"calls/s".padEnd(34)} baseline    tunnel   tunnel/baseline`);
print(
  `${`sequential (n=${SEQUENTIAL}/round)`.padEnd(34)} ${fmt(seqBase)}  ${fmt(seqTunnel)}   ${(seqTunnel / seqBase).toFixed(2)}`,
);
print(
  `${`concurrency ${CONCURRENCY} (n=${CONCURRENT_TOTAL}/round)`.padEnd(34)} ${fmt(conBase)}  ${fmt(conTunnel)}   ${(conTunnel / conBase).toFixed(2)}`,
);
print(`${"latency, sequential".padEnd(34)} baseline    tunnel   tunnel/baseline`);
for (const p of [50, 99]) {
  const base = percentile(runs.latBase, p);
  const tun = percentile(runs.latTunnel, p);
  print(
    `${`p${p} (${runs.latBase.length} calls each)`.padEnd(34)} ${ms(base)}  ${ms(tun)}   ${(tun / base).toFixed(2)}`,
  );
}
print(`rounds seq  baseline ${rounds(runs.seqBase)}  tunnel ${rounds(runs.seqTunnel)}`);
print(`rounds c16  baseline ${rounds(runs.conBase)}  tunnel ${rounds(runs.conTunnel)}`);
print(`RSS  ${growth("rss")} over ${measuredSeconds.toFixed(1)} s after warm-up`);
print(`heap ${growth("heapUsed")}, heap total ${growth("heapTotal")}, external ${growth("external")}`);
print(
  `after the runs: session in flight ${pendingAfter}, host pending ${hostPending}, ` +
    `registry ${registryWhileAttached} (1 expected); after close: registry ${registryAfterClose}, SSE subscribers ${sseAfterClose}`,
);
if (abortWarnings.count > 0) {
  print(
    `MaxListenersExceededWarning on an SDK transport's AbortSignal: ${abortWarnings.count} times, peak ${abortWarnings.peak} listeners (undici frees them at GC: see the comment in this file)`,
  );
}
print(`wall time ${((performance.now() - benchStart) / 1000).toFixed(1)} s`);

const leaks = [];
if (pendingAfter !== 0 || hostPending !== 0) leaks.push("requests still pending on the channel");
if (registryWhileAttached !== 1) leaks.push(`registry held ${registryWhileAttached} ids while attached`);
if (registryAfterClose !== 0) leaks.push(`registry held ${registryAfterClose} ids after close`);
if (sseAfterClose !== 0) leaks.push(`${sseAfterClose} SSE subscribers left after close`);
if (leaks.length > 0) {
  console.error(`memory check failed: ${leaks.join("; ")}`);
  process.exitCode = 1;
}
