// list_changed fan-out to 1,000 GET streams (issue 9: p99 ≤ 50 ms). One
// attached WebSocket (conduit.v2 frames over `ws`) whose stream registered one
// response id and declared the objectiveai mcp; BENCH_STREAMS GET SSE streams
// for that id open on the host's loopback MCP listener. Each round the socket
// sends one `mcp_list_changed` client_request (tools) and every stream's
// `notifications/tools/list_changed` event is timed from that send.
// Baseline, in the same run and alternating rounds: a bare `ws` server whose
// trigger message makes a bare node:http server write the same event to as
// many open responses.
// The servers (a `createConduitHost` and the bare pair) run in child processes
// (bench/scale/*-server.mjs); this process is the measuring client, so the
// 1,000 stream parsers do not share the server's event loop — on 2 cores they
// get the other core. Send and arrival are both read here, on one clock.
// Run after `pnpm turbo build`:
//   node bench/list-changed.bench.mjs
// Knobs: BENCH_STREAMS (default 1000), BENCH_ROUNDS (timed rounds per side,
// default 50, after 5 warm-up rounds), BENCH_SERVER_FLAGS (extra node flags
// for the server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). Exits 1 if an event is lost or doubled,
// a stream closes, or a trigger is not answered ok; a missed target is only reported.
import console from "node:console";
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { OBJECTIVEAI_MCP, frameText, listChangedMethod } from "@conduit/protocol";
import { attachSocket, inPool, onEvents, openEventStream } from "./scale/client-side.mjs";
import { startBenchRun } from "./scale/bench-run.mjs";
import { startChild } from "./scale/ipc.mjs";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const WARMUP_ROUNDS = 5;
/** Extra node flags for the server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_FLAGS = (process.env.BENCH_SERVER_FLAGS ?? "").split(" ").filter(Boolean);
const TARGET_P99_MS = 50;
/** One round waits this long for every stream's event before the bench fails. */
const ROUND_LIMIT_MS = 10_000;
const WATCHDOG_MS = 120_000;
const EVENT_METHOD = listChangedMethod("tools");

const { abort, loadAtStart, elapsedS } = startBenchRun("LIST_CHANGED", WATCHDOG_MS);

/**
 * Starts one server kind, attaches the socket and opens the streams; returns
 * `round()`, which triggers one list_changed and resolves with the latency (ms)
 * of every stream's event.
 */
async function prepare(label, script) {
  const server = await startChild(script, {
    execArgv: ["--expose-gc", ...SERVER_FLAGS],
    env: { SCALE_STREAMS_PER_ID: String(STREAMS), SCALE_MCP_CONNECTIONS: String(STREAMS + 64) },
  });
  const { apiUrl, mcpUrl } = server.ready;
  const { ws, responseId } = await attachSocket(apiUrl);
  /** The round in progress: where arrivals and failures go. */
  let current;
  ws.on("close", (code) => current?.fail(`${label}: the WebSocket closed (${code})`));

  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const streams = [];
  await inPool(STREAMS, 100, async (index) => {
    const { req, res } = await openEventStream(mcpUrl, responseId, agent);
    streams.push({ req, res });
    res.once("close", () => current?.fail(`${label}: GET stream ${index} closed`));
    onEvents(res, (event) => {
      if (!event.includes(EVENT_METHOD)) return;
      if (current === undefined) throw new Error(`${label}: an event outside a round on stream ${index}`);
      current.arrived(index, performance.now());
    });
  });
  const stats = await server.request("stats");
  if (stats.streams !== STREAMS || stats.registeredIds !== 1 || stats.sockets !== 1) {
    throw new Error(`${label}: the server holds ${JSON.stringify(stats)}, expected 1 socket, 1 id, ${STREAMS} streams`);
  }

  let triggerId = 0;
  const answers = new Map();
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === "client_response") answers.get(frame.id)?.(frame);
  });

  async function round() {
    const id = ++triggerId;
    const answered = new Promise((resolve) => answers.set(id, resolve));
    const arrivals = new Array(STREAMS);
    let count = 0;
    let sentAt = 0;
    const done = new Promise((resolve, reject) => {
      const limit = setTimeout(
        () =>
          reject(new Error(`${label}: only ${count} of ${STREAMS} streams got the event within ${ROUND_LIMIT_MS} ms`)),
        ROUND_LIMIT_MS,
      );
      current = {
        arrived(index, at) {
          if (arrivals[index] !== undefined) reject(new Error(`${label}: stream ${index} got the event twice`));
          arrivals[index] = at - sentAt;
          if (++count === STREAMS) {
            clearTimeout(limit);
            resolve();
          }
        },
        fail: (message) => reject(new Error(message)),
      };
    });
    sentAt = performance.now();
    ws.send(
      frameText({
        type: "client_request",
        id,
        method: "mcp_list_changed",
        params: { mcp: OBJECTIVEAI_MCP, list: "tools" },
      }),
    );
    await done;
    const answer = await answered;
    answers.delete(id);
    if (answer.ok !== true) throw new Error(`${label}: the trigger was answered ${JSON.stringify(answer)}`);
    current = undefined;
    return arrivals;
  }

  async function close() {
    current = undefined;
    ws.removeAllListeners("close");
    for (const { res } of streams) res.removeAllListeners("close");
    ws.terminate();
    for (const { req } of streams) req.destroy();
    agent.destroy();
    await server.stop();
  }
  return { round, close };
}

const latencies = { bare: [], conduit: [] };
try {
  const sides = {
    bare: await prepare("baseline", "./bare-server.mjs"),
    conduit: await prepare("conduit", "./conduit-server.mjs"),
  };
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const side of ["bare", "conduit"]) {
      const arrivals = await sides[side].round();
      if (round >= WARMUP_ROUNDS) latencies[side].push(...arrivals);
    }
  }
  await sides.bare.close();
  await sides.conduit.close();
} catch (error) {
  abort(error);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const figures = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
};
const bare = figures(latencies.bare);
const conduit = figures(latencies.conduit);
const ms = (n) => `${n.toFixed(2)} ms`.padStart(10);
const print = (line) => console.log(line);
print(
  `list_changed → ${STREAMS} GET streams, node ${process.version}, ${ROUNDS} rounds per side after ${WARMUP_ROUNDS} warm-up, ` +
    `${latencies.conduit.length} arrivals each`,
);
print(
  `${"send → event on a stream".padEnd(26)} ${"baseline".padStart(10)} ${"conduit".padStart(10)}  conduit/baseline`,
);
for (const key of ["p50", "p99", "max"]) {
  print(`${key.padEnd(26)} ${ms(bare[key])} ${ms(conduit[key])}  ${(conduit[key] / bare[key]).toFixed(2)}`);
}
print(
  `target p99 ≤ ${TARGET_P99_MS} ms: ${conduit.p99 <= TARGET_P99_MS ? "target met" : "target missed"} (conduit p99 ${conduit.p99.toFixed(2)} ms)`,
);
print(`load average at start (1/5/15 min): ${loadAtStart}`);
print(`wall time ${elapsedS().toFixed(1)} s`);
