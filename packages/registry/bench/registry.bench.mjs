// The registry work an attached socket drives (issue 9: ≥ 1,000,000 ops/s):
// per attach, a ReverseAttachGuard registers the stream's response id and, when
// the socket ends, releases it; per forwarded MCP call, the route looks the id
// up in the ReverseChannelRegistry and the channel opens a pending request
// (id, waiter, timer, server_request frame handed to the writer) that the
// answer then settles. Each op is timed on its own against a bare Map doing
// the equivalent set / get / delete in the same run (the baseline).
// Run after `npx tsup`:
//   node bench/registry.bench.mjs
// Knobs: BENCH_IDS (ids, sockets and calls per round, default 100000),
//        BENCH_ROUNDS (timed rounds, default 5, after warm-up rounds: 3 for open
//        and settle, 1 for the others).
// Each figure is the median round; a full GC (untimed) precedes each
// register / lookup / release phase. Exits 1 if an op misbehaves (a lookup
// finds the wrong channel, an id outlives its release, an answer goes astray);
// a missed target is only reported.
import console from "node:console";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { OBJECTIVEAI_MCP, mintResponseId } from "@conduit/protocol";
import { ReverseAttachGuard, ReverseChannel, ReverseChannelRegistry } from "../dist/index.js";

const IDS = Number(process.env.BENCH_IDS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_OPS = 1_000_000;
/** Requests opened before their answers arrive: below the default maxPending (1024) of one channel. */
const BATCH = 1000;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

const failures = [];
const fail = (message) => {
  if (failures.length < 10) failures.push(message);
};

const ids = Array.from({ length: IDS }, () => mintResponseId());
const INIT = { mcp: OBJECTIVEAI_MCP, method: "tools/call", params: { name: "echo" }, headers: {} };
const noWrite = () => {};

/** Runs `body(i)` for i in [0, n) and returns ops/s, after a full GC outside the timing. */
function timed(n, body) {
  // Without it, the first op that allocates pays for collecting and promoting the 100,000 channels and
  // guards the round just built (a bare Map.delete allocates nothing), and its figure halves at random.
  gc();
  const start = performance.now();
  for (let i = 0; i < n; i++) body(i);
  return n / ((performance.now() - start) / 1000);
}

/** One socket per id: register on attach, look up per call, release on detach. */
function conduitRegistryRound() {
  const registry = new ReverseChannelRegistry();
  const channels = ids.map(() => new ReverseChannel({ write: noWrite }));
  const guards = channels.map((channel) => new ReverseAttachGuard(registry, channel));
  const register = timed(IDS, (i) => guards[i].register(ids[i]));
  if (registry.size !== IDS) fail(`registry holds ${registry.size} ids after ${IDS} registrations`);
  let found = 0;
  const lookup = timed(IDS, (i) => {
    if (registry.get(ids[i]) === channels[i]) found++;
  });
  if (found !== IDS) fail(`${IDS - found} lookups did not find their channel`);
  let released = 0;
  const release = timed(IDS, (i) => {
    released += guards[i].release().length;
  });
  if (released !== IDS || registry.size !== 0) fail(`release removed ${released} ids, ${registry.size} left`);
  return { register, lookup, release };
}

function bareRegistryRound() {
  const map = new Map();
  const channels = ids.map(() => ({}));
  const register = timed(IDS, (i) => map.set(ids[i], channels[i]));
  let found = 0;
  const lookup = timed(IDS, (i) => {
    if (map.get(ids[i]) === channels[i]) found++;
  });
  if (found !== IDS) fail(`bare Map: ${IDS - found} lookups missed`);
  const release = timed(IDS, (i) => map.delete(ids[i]));
  if (map.size !== 0) fail(`bare Map holds ${map.size} ids after delete`);
  return { register, lookup, release };
}

/**
 * Open BATCH requests on one channel, then settle them with their answers;
 * open and settle are timed apart, the awaiting of the answers is not timed.
 */
async function conduitPendingRound() {
  const channel = new ReverseChannel({ write: noWrite });
  let openMs = 0;
  let settleMs = 0;
  let answered = 0;
  for (let done = 0; done < IDS; done += BATCH) {
    const exchanges = new Array(BATCH);
    let start = performance.now();
    for (let i = 0; i < BATCH; i++) exchanges[i] = channel.open(INIT);
    openMs += performance.now() - start;
    start = performance.now();
    for (let i = 0; i < BATCH; i++) {
      if (!channel.deliver({ type: "server_response", id: exchanges[i].id, result: i }))
        fail("an answer found no waiter");
    }
    settleMs += performance.now() - start;
    const answers = await Promise.all(exchanges.map((exchange) => exchange.answer));
    for (let i = 0; i < BATCH; i++) if (answers[i].id === exchanges[i].id && answers[i].result === i) answered++;
  }
  if (answered !== IDS) fail(`${IDS - answered} requests got the wrong answer`);
  if (channel.pending.size !== 0) fail(`${channel.pending.size} requests still pending after every answer`);
  channel.close();
  return { open: IDS / (openMs / 1000), settle: IDS / (settleMs / 1000) };
}

/** The bare equivalent: a waiter object per request in a Map, taken out by its answer. */
async function barePendingRound() {
  const waiters = new Map();
  let nextId = 1;
  let openMs = 0;
  let settleMs = 0;
  let answered = 0;
  for (let done = 0; done < IDS; done += BATCH) {
    const promises = new Array(BATCH);
    const first = nextId;
    let start = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const id = nextId++;
      promises[i] = new Promise((resolve) => waiters.set(id, resolve));
    }
    openMs += performance.now() - start;
    start = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const id = first + i;
      const resolve = waiters.get(id);
      waiters.delete(id);
      resolve({ type: "server_response", id, result: i });
    }
    settleMs += performance.now() - start;
    const answers = await Promise.all(promises);
    for (let i = 0; i < BATCH; i++) if (answers[i].result === i) answered++;
  }
  if (answered !== IDS || waiters.size !== 0) fail("bare pending: answers went astray");
  return { open: IDS / (openMs / 1000), settle: IDS / (settleMs / 1000) };
}

const OPS = [
  ["register", "attach: guard.register(id)", "map.set"],
  ["lookup", "call: registry.get(id)", "map.get"],
  ["release", "detach: guard.release()", "map.delete"],
  ["open", "call: channel.open(init)", "new Promise + map.set"],
  ["settle", "answer: channel.deliver(frame)", "map.get/delete + resolve"],
];

const benchStart = performance.now();
/** The machine is shared: its load at the start says how much the figures can be trusted. */
const loadAtStart = loadavg()
  .map((n) => n.toFixed(2))
  .join(" ");
const conduit = Object.fromEntries(OPS.map(([key]) => [key, []]));
const bare = Object.fromEntries(OPS.map(([key]) => [key, []]));
/** Runs `warmups` + ROUNDS alternating rounds of `bareRound` and `conduitRound`, collecting their figures. */
async function alternate(bareRound, conduitRound, warmups) {
  for (let round = 1 - warmups; round <= ROUNDS; round++) {
    // Alternate the two sides so that drift on a shared machine hits both.
    const results = [await bareRound(), await conduitRound()];
    if (round <= 0) continue; // warm-up
    for (const [key, value] of Object.entries(results[0])) bare[key].push(value);
    for (const [key, value] of Object.entries(results[1])) conduit[key].push(value);
  }
}
// The pending rounds first: the full GCs of the registry rounds would shrink the young generation
// that the requests' allocations run in, and charge the next phase for growing it again.
// Three warm-up rounds for them: V8 grows the young generation under their allocation rate.
await alternate(barePendingRound, conduitPendingRound, 3);
await alternate(bareRegistryRound, conduitRegistryRound, 1);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(12);
const print = (line) => console.log(line);
print(`registry ops, node ${process.version}, ${IDS} ids/calls per round, median of ${ROUNDS} rounds after warm-up`);
print(`${"op".padEnd(32)} ${"conduit ops/s".padStart(13)} ${"baseline ops/s".padStart(14)}  ratio  target 1,000,000`);
let missed = 0;
for (const [key, label, baselineLabel] of OPS) {
  const c = median(conduit[key]);
  const b = median(bare[key]);
  const met = c >= TARGET_OPS;
  if (!met) missed++;
  print(
    `${label.padEnd(32)} ${fmt(c)}  ${fmt(b)}  ${(c / b).toFixed(2).padStart(5)}  ${met ? "met" : "MISSED"}   (baseline: ${baselineLabel})`,
  );
}
print(
  `target ≥ ${TARGET_OPS.toLocaleString("en-US")} ops/s per op: ${missed === 0 ? "target met" : `target missed for ${missed} op(s)`}`,
);
print(`load average at start (1/5/15 min): ${loadAtStart}`);
print(`wall time ${((performance.now() - benchStart) / 1000).toFixed(1)} s`);

if (failures.length > 0) {
  console.error(`REGISTRY BENCH FAILED — an op misbehaved:\n  ${failures.join("\n  ")}`);
  process.exitCode = 1;
}
