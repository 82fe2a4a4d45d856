// API heap per idle attached WebSocket (issue 9: ≤ 20 KiB per socket at
// 10,000 sockets). Each socket's stream registered one response id (announced
// in a first chunk) and holds one open GET SSE stream for it on the host's
// loopback MCP listener. The server — a `createConduitHost` in its own process
// started with --expose-gc — reports heapUsed after full GCs over IPC; the
// clients run in other processes (bench/scale/idle-clients.mjs).
//   heap per socket = (heap holding N sockets − heap holding none) / N
// "none" is measured after a warm-up batch has come and gone, so code and
// caches that the first connections allocate once are not charged per socket.
// Baseline, in the same run: a bare `ws` server and a bare node:http SSE server
// (bench/scale/bare-server.mjs) holding as many WebSockets and open responses.
// Why not 10,000: the hard file-descriptor limit of this machine is 20,000
// (`ulimit -Hn`), and the server process holds two sockets per pair (the
// WebSocket and the GET stream) besides its listeners, so 10,000 pairs cannot
// fit; the default is 9,500 pairs (19,000 sockets).
// Run after `pnpm turbo build`:
//   node bench/idle-sockets.bench.mjs
// Knobs: BENCH_SOCKETS (pairs, default 9500), BENCH_SOCKETS_PER_CLIENT (pairs
// per client process, default 2500), BENCH_SERVER_FLAGS (extra node flags for
// the server processes, e.g. "--heap-prof"). Exits 1 if a socket does not
// attach, a stream does not open, or either is lost before the measurement
// ends; a missed target is only reported.
import console from "node:console";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { startBenchRun } from "./scale/bench-run.mjs";
import { startChild } from "./scale/ipc.mjs";

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 9500);
const PER_CLIENT = Number(process.env.BENCH_SOCKETS_PER_CLIENT ?? 2500);
const WARMUP_SOCKETS = 200;
const TARGET_BYTES = 20 * 1024;
const FD_LIMIT = 20_000;
const SERVER_FLAGS = (process.env.BENCH_SERVER_FLAGS ?? "").split(" ").filter(Boolean);
const WATCHDOG_MS = 240_000;

const { abort, loadAtStart, elapsedS } = startBenchRun("IDLE SOCKETS", WATCHDOG_MS);

if (2 * SOCKETS + 100 > FD_LIMIT || 2 * PER_CLIENT + 100 > FD_LIMIT) {
  abort(
    new Error(
      `BENCH_SOCKETS=${SOCKETS} / BENCH_SOCKETS_PER_CLIENT=${PER_CLIENT} need more than ${FD_LIMIT} descriptors in one process`,
    ),
  );
}

/** Opens `count` pairs from as many client processes as needed; resolves with the running clients. */
async function openPairs(ready, count) {
  const shares = [];
  for (let left = count; left > 0; left -= PER_CLIENT) shares.push(Math.min(PER_CLIENT, left));
  const clients = await Promise.all(shares.map(() => startChild("./idle-clients.mjs")));
  await Promise.all(clients.map((client, i) => client.request("open", { ...ready, count: shares[i] })));
  return clients;
}

/** Every client's pairs are still open and the server holds exactly `count` of each. */
async function verify(label, server, clients, count) {
  const checks = await Promise.all(clients.map((client) => client.request("check")));
  const held = checks.reduce(
    (sum, c) => ({ sockets: sum.sockets + c.sockets, streams: sum.streams + c.streams, lost: sum.lost + c.lost }),
    {
      sockets: 0,
      streams: 0,
      lost: 0,
    },
  );
  const stats = await server.request("stats");
  if (held.sockets !== count || held.streams !== count || held.lost !== 0) {
    throw new Error(`${label}: the clients hold ${JSON.stringify(held)}, expected ${count} open sockets and streams`);
  }
  if (stats.sockets !== count || stats.registeredIds !== count || stats.streams !== count) {
    throw new Error(`${label}: the server holds ${JSON.stringify(stats)}, expected ${count} of each`);
  }
}

async function measure(label, script) {
  const server = await startChild(script, {
    execArgv: ["--expose-gc", ...SERVER_FLAGS],
    env: { SCALE_STREAMS_PER_ID: "1", SCALE_MCP_CONNECTIONS: String(SOCKETS + 64) },
  });
  try {
    const warmup = await openPairs(server.ready, WARMUP_SOCKETS);
    await verify(`${label} warm-up`, server, warmup, WARMUP_SOCKETS);
    await Promise.all(warmup.map((client) => client.stop()));
    await server.request("idle");
    const empty = await server.request("heap");

    const opening = performance.now();
    const clients = await openPairs(server.ready, SOCKETS);
    const openSeconds = (performance.now() - opening) / 1000;
    await verify(label, server, clients, SOCKETS);
    const full = await server.request("heap");
    // Still all there after the measurement: nothing was dropped while it ran.
    await verify(label, server, clients, SOCKETS);
    await Promise.all(clients.map((client) => client.stop()));
    return {
      perSocket: (full.heapUsed - empty.heapUsed) / SOCKETS,
      rssPerSocket: (full.rss - empty.rss) / SOCKETS,
      empty,
      full,
      openSeconds,
    };
  } finally {
    await server.stop();
  }
}

let bare;
let conduit;
try {
  bare = await measure("baseline", "./bare-server.mjs");
  conduit = await measure("conduit", "./conduit-server.mjs");
} catch (error) {
  abort(error);
}

const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`.padStart(11);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`.padStart(10);
const print = (line) => console.log(line);
print(
  `idle attached sockets, node ${process.version}: ${SOCKETS} WebSockets + ${SOCKETS} GET streams per server ` +
    `(not 10,000: the hard fd limit is ${FD_LIMIT} per process and each pair takes 2), clients in ${Math.ceil(SOCKETS / PER_CLIENT)} processes`,
);
print(`${"".padEnd(28)} ${"baseline".padStart(11)} ${"conduit".padStart(11)}  conduit/baseline`);
print(
  `${"heap per socket".padEnd(28)} ${kib(bare.perSocket)} ${kib(conduit.perSocket)}  ${(conduit.perSocket / bare.perSocket).toFixed(2)}`,
);
print(
  `${"RSS per socket".padEnd(28)} ${kib(bare.rssPerSocket)} ${kib(conduit.rssPerSocket)}  ${(conduit.rssPerSocket / bare.rssPerSocket).toFixed(2)}`,
);
print(`${"heap with 0 sockets".padEnd(28)} ${mib(bare.empty.heapUsed)}  ${mib(conduit.empty.heapUsed)}`);
print(`${`heap with ${SOCKETS} sockets`.padEnd(28)} ${mib(bare.full.heapUsed)}  ${mib(conduit.full.heapUsed)}`);
print(
  `${"time to open them".padEnd(28)} ${`${bare.openSeconds.toFixed(1)} s`.padStart(11)} ${`${conduit.openSeconds.toFixed(1)} s`.padStart(11)}`,
);
print(
  `target ≤ 20 KiB of heap per socket: ${conduit.perSocket <= TARGET_BYTES ? "target met" : "target missed"} (conduit ${(conduit.perSocket / 1024).toFixed(2)} KiB)`,
);
print(`load average at start (1/5/15 min): ${loadAtStart}`);
print(`wall time ${elapsedS().toFixed(1)} s`);
