// Property test against the real route on a real node:http listener: random
// HTTP requests (method, path, headers, body) over keep-alive connections,
// answered by an in-process attach client that misbehaves on demand. The
// invariants hold whatever a method maps to (the per-method handling is
// being reworked), so no test here pins a status to a JSON-RPC method.
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import { mintResponseId, type ServerRequestFrame } from "@conduit/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AttachClient, closeHarnesses, mcpUpstream, startHarness, type Answer, type Harness } from "./helpers.js";

afterEach(closeHarnesses);

/** Every status the route documents (SPEC §5) plus the 400 node:http itself gives to a request without Host. */
const DOCUMENTED_STATUSES = new Set([200, 202, 400, 403, 404, 405, 406, 413, 415, 429, 500, 502, 503, 504]);
const FORWARD_TIMEOUT_MS = 250;
const MAX_BODY_BYTES = 8 * 1024;
/** A request that has not completed this long after it was sent never will. */
const RESPONSE_DEADLINE_MS = 10_000;

// ── what the fuzzed attach client does with a server_request ────────────────

/** Chosen per request by the `x-fuzz-answer` header, which reaches the attach client like any other header. */
const BEHAVIOURS = ["ok", "error", "garbage", "no-result", "later", "never", "close"] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

/** The fuzzed response id's attach side: every channel it ever had (a "close" replaces it). */
class FuzzedUpstream {
  readonly clients: AttachClient[] = [];
  readonly #harness: Harness;
  readonly responseId = mintResponseId();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(harness: Harness) {
    this.#harness = harness;
    this.#replace();
  }

  #replace(): void {
    const client: AttachClient = new AttachClient((frame): Answer => this.#answer(client, frame));
    this.clients.push(client);
    this.#harness.registry.register(this.responseId, client.channel);
  }

  #answer(client: AttachClient, frame: ServerRequestFrame): Answer {
    const behaviour = (frame.headers["x-fuzz-answer"] ?? "ok") as Behaviour;
    switch (behaviour) {
      case "ok":
        return mcpUpstream(frame);
      case "error":
        return { error: { code: -32000 - (Number(frame.id) % 50), message: "upstream says no", data: [frame.method] } };
      case "garbage":
        return { result: frame.method === "initialize" ? { result: "nope", mcp_session_id: "" } : ["garbage", 1] };
      case "no-result":
        return { result: undefined };
      case "later": {
        const timer = setTimeout(
          () => {
            this.#timers.delete(timer);
            const answer = mcpUpstream(frame);
            if (answer !== undefined) client.answer(frame, answer);
          },
          Number(frame.id) % 40,
        );
        this.#timers.add(timer);
        return undefined;
      }
      case "never":
        return undefined;
      case "close":
        // The socket went away with this request in flight; the agent's id is re-attached at once.
        client.channel.close("fuzz: socket dropped");
        this.#replace();
        return undefined;
    }
  }

  pendingSizes(): number[] {
    return this.clients.map((client) => client.channel.pending.size);
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

// ── random requests ─────────────────────────────────────────────────────────

interface RequestSpec {
  method: string;
  path: string;
  host: string | undefined;
  nonLoopbackHost: boolean;
  headers: Record<string, string>;
  body: string | undefined;
  /** Destroy the request this many ms after sending it, instead of reading the answer. */
  abortAfterMs: number | undefined;
}

const headerTextArb = fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => s.trim());

const segmentArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => !/^\.+$/.test(s));
const validPathArb = fc.oneof(
  fc.constant("/objectiveai"),
  fc.tuple(segmentArb, segmentArb, segmentArb, segmentArb).map((parts) => `/${parts.join("/")}`),
  fc.constant("/objectiveai?x=1&y"),
);
const invalidPathArb = fc.oneof(
  fc.constantFrom(
    "/",
    "/objectiveai/",
    "/objectiveai/extra",
    "/OBJECTIVEAI",
    "/a/b/c",
    "/a/b/c/d/e",
    "/a/../c/d",
    "/a/b/%2e%2e/d",
    "/./b/c/d",
    "//objectiveai",
    "/objectiveai%00",
    "*",
  ),
  fc.nat({ max: 6_000 }).map((n) => `/${"a".repeat(n + 129)}/b/c/d`),
);

const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "LOCALHOST:1", "[::1]:80", "127.3.2.1:65535", "localhost."];
const FOREIGN_HOSTS = [
  "evil.example",
  "evil.example:80",
  "127.0.0.1.evil.example",
  "localhost.evil.example",
  "0x7f.0.0.1",
  "127.1",
  "127.0.0.1:99999",
  "[::1",
  "10.0.0.1",
  "[::ffff:127.0.0.1]",
];

const hostArb: Arbitrary<{ host: string | undefined; nonLoopbackHost: boolean }> = fc.oneof(
  { weight: 14, arbitrary: fc.constant({ host: "<listener>", nonLoopbackHost: false }) },
  { weight: 2, arbitrary: fc.constantFrom(...LOOPBACK_HOSTS).map((host) => ({ host, nonLoopbackHost: false })) },
  { weight: 2, arbitrary: fc.constantFrom(...FOREIGN_HOSTS).map((host) => ({ host, nonLoopbackHost: true })) },
  { weight: 1, arbitrary: headerTextArb.map((host) => ({ host, nonLoopbackHost: !isPlainLoopback(host) })) },
  { weight: 1, arbitrary: fc.constant({ host: undefined, nonLoopbackHost: false }) },
);

/** Loopback by the strictest reading (random text is almost never one). */
function isPlainLoopback(host: string): boolean {
  return /^(localhost\.?|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i.test(host);
}

function optional(value: Arbitrary<string>, weight = 3): Arbitrary<string | undefined> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight, arbitrary: value });
}

const headersArb: Arbitrary<Record<string, string | undefined>> = fc.record({
  accept: optional(
    fc.oneof(
      { weight: 16, arbitrary: fc.constant("application/json, text/event-stream") },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          "*/*",
          "application/json",
          "text/event-stream",
          "text/event-stream;q=0, */*",
          "application/*, text/*",
          "text/html",
          ",,;q=",
        ),
      },
      { weight: 1, arbitrary: headerTextArb },
    ),
    8,
  ),
  "content-type": optional(
    fc.oneof(
      { weight: 16, arbitrary: fc.constant("application/json") },
      {
        weight: 2,
        arbitrary: fc.constantFrom("application/json; charset=utf-8", "text/plain", "APPLICATION/JSON", ""),
      },
      { weight: 1, arbitrary: headerTextArb },
    ),
    8,
  ),
  origin: fc.oneof(
    { weight: 14, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080") },
    { weight: 1, arbitrary: fc.constantFrom("https://evil.example", "null", "file://localhost", "not a url") },
  ),
  "mcp-session-id": optional(fc.oneof(fc.constant("sess-1f2e3d"), headerTextArb), 1),
  "x-objectiveai-arguments": optional(
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
      fc.constant('{"a":"1","b":null}'),
      headerTextArb,
    ),
    1,
  ),
  "x-fuzz-answer": fc.constantFrom(...BEHAVIOURS),
  connection: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("close", "keep-alive, x-objectiveai-response-id, mcp-session-id") },
  ),
});

const RPC_METHODS = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/read",
  "prompts/get",
  "logging/setLevel",
  "notifications/initialized",
  "notifications/cancelled",
  "server/discover",
  "no/such/method",
  "",
  "__proto__",
];

const jsonRpcIdArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 1.5, -0, true, [], {}, "x".repeat(5_000)) },
);

const paramsArb = fc.oneof(
  fc.record({
    name: fc.constantFrom("echo", "fail"),
    arguments: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  }),
  fc.record({
    protocolVersion: fc.constant("2025-06-18"),
    capabilities: fc.constant({}),
    clientInfo: fc.constant({ name: "fuzz", version: "0" }),
  }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Well-formed requests and notifications (id absent = notification). */
const wellFormedRpcArb: Arbitrary<unknown> = fc.record(
  {
    jsonrpc: fc.constant("2.0"),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 })),
    method: fc.constantFrom(...RPC_METHODS),
    params: paramsArb.filter((params) => typeof params === "object" && params !== null),
  },
  { requiredKeys: ["jsonrpc", "method"] },
);

/** JSON-RPC-ish messages: each part sometimes wrong or missing. */
const chaoticRpcArb: Arbitrary<unknown> = fc
  .record(
    {
      jsonrpc: fc.oneof({ weight: 8, arbitrary: fc.constant("2.0") }, { weight: 1, arbitrary: fc.jsonValue() }),
      id: jsonRpcIdArb,
      method: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...RPC_METHODS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
      ),
      params: paramsArb,
      result: fc.jsonValue({ maxDepth: 1 }),
      error: fc.record({ code: fc.integer(), message: fc.string({ maxLength: 10 }) }),
    },
    { requiredKeys: [] },
  )
  .map((message) => message as unknown);

const rpcMessageArb: Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: wellFormedRpcArb },
  { weight: 2, arbitrary: chaoticRpcArb },
);

const bodyArb: Arbitrary<string | undefined> = fc.oneof(
  { weight: 16, arbitrary: rpcMessageArb.map((message) => JSON.stringify(message)) },
  { weight: 1, arbitrary: fc.array(rpcMessageArb, { maxLength: 3 }).map((batch) => JSON.stringify(batch)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, "", "{", '{"jsonrpc":"2.0",', "nul", "\u0000", "[]") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES * 2 })
      .map((n) => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { pad: "x".repeat(n) } })),
  },
);

/** A request for the fuzzed response id (or an unknown, empty or missing one), with random everything else. */
const requestArb = (fuzzedId: string): Arbitrary<RequestSpec> =>
  fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant("POST") },
        { weight: 2, arbitrary: fc.constantFrom("GET", "DELETE") },
        { weight: 1, arbitrary: fc.constantFrom("PUT", "PATCH", "OPTIONS", "HEAD") },
      ),
      path: fc.oneof({ weight: 8, arbitrary: validPathArb }, { weight: 2, arbitrary: invalidPathArb }),
      host: hostArb,
      headers: headersArb,
      id: fc.oneof(
        { weight: 14, arbitrary: fc.constant(fuzzedId) },
        { weight: 1, arbitrary: fc.constantFrom(undefined, "", "resp_unknown", `${fuzzedId}x`, "__proto__") },
      ),
      body: bodyArb,
      abortAfterMs: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat(20) }),
    })
    .map(({ method, path, host, headers, id, body, abortAfterMs }) => {
      const all: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) all[name] = value;
      if (id !== undefined) all["x-objectiveai-response-id"] = id;
      return { method, path, ...host, headers: all, body, abortAfterMs };
    });

// ── sending, and what every response must look like ───────────────────────

interface Outcome {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function send(agent: Agent, port: number, spec: RequestSpec): Promise<Outcome | "aborted"> {
  const headers: OutgoingHttpHeaders = { ...spec.headers };
  if (spec.host !== undefined) headers.host = spec.host === "<listener>" ? `127.0.0.1:${port}` : spec.host;
  // node:http sends a GET/DELETE/HEAD/OPTIONS body unframed unless told its length.
  if (spec.body !== undefined) headers["content-length"] = Buffer.byteLength(spec.body);
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`no complete response within ${RESPONSE_DEADLINE_MS} ms: ${show(spec)}`)),
      RESPONSE_DEADLINE_MS,
    );
    const done = (outcome: Outcome | "aborted"): void => {
      clearTimeout(deadline);
      resolve(outcome);
    };
    const req = httpRequest(
      { host: "127.0.0.1", port, method: spec.method, path: spec.path, headers, agent, setHost: false },
      (res) => {
        const streaming = spec.method === "GET" && String(res.headers["content-type"]).startsWith("text/event-stream");
        if (streaming) {
          // A notifications stream never ends by itself: its head is the complete answer; hang up.
          res.destroy();
          done({ status: res.statusCode ?? 0, headers: res.headers, text: "" });
          return;
        }
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on("error", (err) => {
          clearTimeout(deadline);
          reject(err);
        });
      },
    );
    req.on("error", (err) => {
      if (spec.abortAfterMs !== undefined) done("aborted");
      else {
        clearTimeout(deadline);
        reject(new Error(`${err.message}: ${show(spec)}`));
      }
    });
    if (spec.abortAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        done("aborted");
      }, spec.abortAfterMs);
    }
    req.end(spec.body);
  });
}

function show(spec: RequestSpec): string {
  return JSON.stringify({ ...spec, body: spec.body?.slice(0, 200) });
}

function expectJsonRpcReply(value: unknown): void {
  expect(typeof value).toBe("object");
  expect(value).not.toBeNull();
  const message = value as Record<string, unknown>;
  expect(message.jsonrpc).toBe("2.0");
  expect(["string", "number", "object"]).toContain(typeof message.id);
  if (typeof message.id === "object") expect(message.id).toBeNull();
  expect("result" in message !== "error" in message).toBe(true);
  if ("error" in message) {
    const error = message.error as Record<string, unknown>;
    expect(Number.isInteger(error.code)).toBe(true);
    expect(typeof error.message).toBe("string");
  }
}

/** The parts of `text/event-stream` a POST may answer with: every `data:` line is one JSON-RPC message. */
function expectSseOfJsonRpc(text: string): void {
  for (const line of text.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const message = JSON.parse(line.slice(5)) as Record<string, unknown>;
    expect(message.jsonrpc).toBe("2.0");
  }
}

function checkOutcome(spec: RequestSpec, outcome: Outcome): void {
  const where = show(spec);
  expect(DOCUMENTED_STATUSES.has(outcome.status), `${outcome.status} for ${where}`).toBe(true);
  if (spec.nonLoopbackHost) expect(outcome.status, where).toBe(403);
  const type = String(outcome.headers["content-type"] ?? "");
  if (outcome.status === 202 || spec.method === "HEAD" || outcome.text.length === 0) {
    expect(outcome.text, where).toBe("");
    return;
  }
  if (type.startsWith("text/event-stream")) {
    expect(outcome.status, where).toBe(200);
    expectSseOfJsonRpc(outcome.text);
    return;
  }
  expect(type, where).toMatch(/^application\/json/);
  const body = JSON.parse(outcome.text) as unknown;
  // DELETE's success body is `{}` (SPEC §5 fixes only its status); everything else is JSON-RPC.
  if (spec.method === "DELETE" && outcome.status === 200) expect(body, where).toEqual({});
  else expectJsonRpcReply(body);
}

// ── the well-behaved agent next door ────────────────────────────────────────

/** tools/call round trips on another response id until stopped; each must get its own echo back. */
async function wellBehavedLoop(harness: Harness, stop: { done: boolean }): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let n = 0;
  try {
    while (!stop.done) {
      n += 1;
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: `good-${n}`,
        method: "tools/call",
        params: { name: "echo", arguments: { n } },
      });
      const outcome = await send(agent, harness.listener.port, {
        method: "POST",
        path: "/acme/files/1.0.0/fs",
        host: "<listener>",
        nonLoopbackHost: false,
        headers: {
          accept: "application/json, text/event-stream",
          "content-type": "application/json",
          "x-objectiveai-response-id": harness.responseId,
        },
        body,
        abortAfterMs: undefined,
      });
      expect(outcome).not.toBe("aborted");
      if (outcome === "aborted") break;
      expect(outcome.status).toBe(200);
      expect(JSON.parse(outcome.text)).toEqual({
        jsonrpc: "2.0",
        id: `good-${n}`,
        result: { content: [{ type: "text", text: `echo {"n":${n}}` }] },
      });
    }
  } finally {
    agent.destroy();
  }
  return n;
}

describe("the route under random requests", () => {
  it("answers each request once with a documented status and JSON-RPC body, leaves nothing behind, and keeps serving its neighbour", async () => {
    const harness = await startHarness({ timeoutMs: FORWARD_TIMEOUT_MS, maxBodyBytes: MAX_BODY_BYTES });
    const fuzzed = new FuzzedUpstream(harness);
    const crashes: unknown[] = [];
    const onCrash = (err: unknown): void => void crashes.push(err);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);

    // Every request the server handed to the route, and how many of their responses have closed.
    const seen = { requests: 0, closed: 0 };
    harness.listener.server.on("request", (_req, res) => {
      seen.requests += 1;
      res.on("close", () => (seen.closed += 1));
    });

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const stop = { done: false };
    const neighbour = wellBehavedLoop(harness, stop);
    let sent = 0;
    const statuses = new Set<number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(requestArb(fuzzed.responseId), { minLength: 1, maxLength: 4 }), async (batch) => {
          sent += batch.length;
          const outcomes = await Promise.all(batch.map((spec) => send(agent, harness.listener.port, spec)));
          outcomes.forEach((outcome, i) => {
            if (outcome === "aborted") return;
            statuses.add(outcome.status);
            checkOutcome(batch[i] as RequestSpec, outcome);
          });
        }),
        // No shrinking: a failing batch is at most 4 requests, and each shrink step is real I/O.
        { numRuns: 300, endOnFailure: true },
      );
    } finally {
      stop.done = true;
      agent.destroy();
      fuzzed.stop();
      // Settled here so a failure of the neighbour is reported even when the property failed first.
      const roundTrips = await neighbour.finally(() => {
        process.off("uncaughtException", onCrash);
        process.off("unhandledRejection", onCrash);
      });
      expect(roundTrips).toBeGreaterThan(0);
    }

    // Nothing outlives its request: no waiter in any channel the fuzzed id ever had, no SSE subscriber.
    await vi.waitFor(
      () => {
        expect(fuzzed.pendingSizes().every((size) => size === 0)).toBe(true);
        expect(harness.attach.channel.pending.size).toBe(0);
        expect(harness.listeners.subscriberCount()).toBe(0);
        expect(harness.listeners.keyCount).toBe(0);
        expect(seen.closed).toBe(seen.requests);
      },
      { timeout: FORWARD_TIMEOUT_MS * 20, interval: 20 },
    );
    expect(crashes).toEqual([]);
    expect(sent).toBeGreaterThan(300);
    // The generators reach every gate and the forwarding paths behind them (each is ~2% or more of the requests).
    for (const status of [200, 202, 400, 403, 404, 405, 406, 413, 415]) expect(statuses).toContain(status);
    expect(fuzzed.clients.length).toBeGreaterThan(1);
  });
});
