// Fuzzes the frames after the body on a real attached socket: random text and
// binary frames, valid and broken client frames, server_responses for unknown,
// huge and real ids, frames past maxPayload and text that is not UTF-8. A
// second, well-behaved socket on the same AttachedSockets answers server_requests the
// whole time and must keep getting its own answers.
import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import { OBJECTIVEAI_MCP, type McpKind } from "@conduit/protocol";
import { sendServerRequest } from "@conduit/registry";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  captureLogger,
  chunk,
  closeOpened,
  connectWithBody,
  startHarness,
  type Accepted,
  type Harness,
  type TestClient,
} from "./helpers.js";

afterEach(closeOpened);

const MAX_PAYLOAD = 64 * 1024;
const TIMEOUT_MS = 300;
/** A log line quotes client text only cut short (SPEC §10). */
const MAX_LOG_ENTRY = 2048;
/** An error message in a client_response stays small whatever the frame was. */
const MAX_ANSWER_MESSAGE = 1024;
const FS = "acme/files/1.0.0/fs" as McpKind;

// ── frames ─────────────────────────────────────────────────────────────────

/** One frame the fuzzed client sends, and what it obliges the server to do. */
interface FuzzFrame {
  data: string | Buffer;
  binary: boolean;
  /** A client_request whose id this test minted: exactly one client_response must carry it. */
  answerId?: string | number;
  /** Frames the server may legitimately close the socket for (RFC 6455 / maxPayload). */
  mayClose?: 1007 | 1009;
}

let minted = 0;
/** Ids no hostile generator produces: `u-<n>` strings and integers from 10^12 up. */
function mintId(kind: "string" | "number"): string | number {
  minted += 1;
  return kind === "string" ? `u-${minted}` : 1e12 + minted;
}

const hostileIdArb: Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.string({ maxLength: 20 }).filter((id) => !id.startsWith("u-")),
  fc.constantFrom("", "x".repeat(257), "x".repeat(60_000), 2 ** 53, -(2 ** 60), 1e308, 1.5, -0, null, true, [], {}),
  fc.constantFrom("__proto__", "constructor"),
);

const textArb = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }));

/** A chunk id the fuzzed socket has sent (so a notify for it is allowed) or one it has not. */
const responseIdArb = (tracked: readonly string[]): Arbitrary<string> =>
  fc.oneof(fc.constantFrom(...tracked), fc.constantFrom("resp_other", "", "__proto__"), textArb);

const clientRequestArb = (tracked: readonly string[]): Arbitrary<FuzzFrame> =>
  fc
    .tuple(
      fc.constantFrom("string" as const, "number" as const),
      fc.oneof(
        fc.record({
          method: fc.constant("agent_completion_notify"),
          params: fc.oneof(
            fc.record({ response_id: responseIdArb(tracked), content: textArb }),
            fc.record({ response_id: fc.jsonValue({ maxDepth: 1 }), content: fc.jsonValue({ maxDepth: 1 }) }),
          ),
        }),
        fc.record({
          method: fc.constant("mcp_list_changed"),
          params: fc.oneof(
            fc.record({
              mcp: fc.constantFrom(OBJECTIVEAI_MCP, FS, "acme/other/1/x", "bad mcp", "../../x"),
              list: fc.constantFrom("tools", "resources", "prompts", "everything"),
            }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        }),
        fc.record({ method: fc.oneof(textArb, fc.jsonValue({ maxDepth: 1 })), params: fc.jsonValue({ maxDepth: 2 }) }),
        fc.record(
          { method: fc.constantFrom("mcp_list_changed", "agent_completion_notify"), extra: fc.jsonValue() },
          { requiredKeys: ["method"] },
        ),
        // A huge unknown key: the -32602 answer names it, and must still be short.
        fc.integer({ min: 2_000, max: 30_000 }).map((n) => ({
          method: "mcp_list_changed",
          params: { mcp: FS, list: "tools" },
          ["k".repeat(n)]: 1,
        })),
      ),
    )
    .map(([idKind, fields]) => {
      const id = mintId(idKind);
      return { data: JSON.stringify({ type: "client_request", id, ...fields }), binary: false, answerId: id };
    });

const hostileClientRequestArb: Arbitrary<FuzzFrame> = fc
  .record({ id: hostileIdArb, method: fc.jsonValue({ maxDepth: 1 }), params: fc.jsonValue({ maxDepth: 2 }) })
  .map((fields) => {
    const text = JSON.stringify({ type: "client_request", ...fields });
    return { data: text, binary: false };
  });

/** server_responses: for the requests in flight (ids 1…), unknown ids, huge ids, broken shapes. */
const serverResponseArb: Arbitrary<FuzzFrame> = fc
  .record(
    {
      id: fc.oneof(fc.integer({ min: 1, max: 40 }), hostileIdArb),
      result: fc.jsonValue({ maxDepth: 3 }),
      error: fc.oneof(fc.record({ code: fc.integer(), message: textArb }), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: ["id"] },
  )
  .map((fields) => ({ data: JSON.stringify({ type: "server_response", ...fields }), binary: false }));

const junkArb: Arbitrary<FuzzFrame> = fc.oneof(
  textArb.map((data) => ({ data, binary: false })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ data: JSON.stringify(value), binary: false })),
  fc
    .record({ type: fc.oneof(fc.constantFrom("chunk", "error", "server_request", "__proto__", ""), textArb) })
    .map((frame) => ({ data: JSON.stringify(frame), binary: false })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
  fc.integer({ min: 1_000, max: 50_000 }).map((depth) => ({
    data: `{"type":"server_response","id":1,"result":${"[".repeat(depth)}${"]".repeat(depth)}}`,
    binary: false,
  })),
  fc.constantFrom("", "{", "null", "[]", '{"type":"client_request"', "\u0000").map((data) => ({ data, binary: false })),
);

/** Frames that end the socket at the WebSocket layer: past maxPayload (1009), text that is not UTF-8 (1007). */
const fatalArb: Arbitrary<FuzzFrame> = fc.oneof(
  fc
    .integer({ min: MAX_PAYLOAD + 1, max: MAX_PAYLOAD + 4096 })
    .map((n): FuzzFrame => ({ data: "x".repeat(n), binary: false, mayClose: 1009 })),
  fc
    .constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80])
    .map((bytes): FuzzFrame => ({ data: Buffer.from(bytes), binary: false, mayClose: 1007 })),
);

const frameArb = (tracked: readonly string[]): Arbitrary<FuzzFrame> =>
  fc.oneof(
    { weight: 6, arbitrary: clientRequestArb(tracked) },
    { weight: 2, arbitrary: hostileClientRequestArb },
    { weight: 4, arbitrary: serverResponseArb },
    { weight: 4, arbitrary: junkArb },
    { weight: 1, arbitrary: fc.constant<FuzzFrame>({ data: "", binary: false }) },
  );

// ── the sockets ────────────────────────────────────────────────────────────

interface FuzzedSocket {
  client: TestClient;
  server: Accepted;
  tracked: string[];
  /** client_responses by id (all of them: a repeated one is a failure). */
  answers: Map<string | number, number>;
  /** server_requests the test sent on this socket; each must settle. */
  requests: Promise<unknown>[];
  /** Close codes this socket may end with besides 1008, given what was sent. */
  allowed: Set<number>;
}

/** The agents of every fuzzed socket (one socket at a time: a new one re-registers them). */
const TRACKED = ["resp_fuzz_a", "resp_fuzz_b"];

async function openFuzzedSocket(harness: Harness, oversized: string[]): Promise<FuzzedSocket> {
  const { client, server } = await connectWithBody(harness);
  const tracked = TRACKED;
  for (const id of tracked) {
    server.attached.handle.register(id);
    await server.attached.send(chunk(id, 0, "hi"));
    // An open notifications stream per id, so list_changed has someone to reach and close has something to end.
    harness.listeners.subscribe(id, FS, { onPending: () => {}, onClose: () => {} });
  }
  const answers = new Map<string | number, number>();
  client.ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    if (frame.type !== "client_response") return;
    const id = frame.id as string | number;
    answers.set(id, (answers.get(id) ?? 0) + 1);
    const error = frame.error as { message?: unknown } | undefined;
    if (error !== undefined && String(error.message).length >= MAX_ANSWER_MESSAGE) oversized.push(String(data));
  });
  return { client, server, tracked, answers, requests: [], allowed: new Set([1008]) };
}

function isOpen(socket: FuzzedSocket): boolean {
  return socket.client.ws.readyState === socket.client.ws.OPEN;
}

/** The neighbour: answers every server_request with the params it was sent. */
async function openGoodSocket(harness: Harness): Promise<{ client: TestClient; responseId: string }> {
  const { client, server } = await connectWithBody(harness);
  const responseId = "resp_good";
  server.attached.handle.register(responseId);
  client.ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    if (frame.type === "server_request") {
      client.sendJson({ type: "server_response", id: frame.id, result: { echo: frame.params } });
    }
  });
  return { client, responseId };
}

async function goodLoop(harness: Harness, responseId: string, stop: { done: boolean }): Promise<number> {
  let n = 0;
  while (!stop.done) {
    n += 1;
    const answer = await sendServerRequest(
      harness.registry,
      responseId,
      { mcp: FS, method: "tools/call", params: { n }, headers: {} },
      // Generous: only a lost or misrouted answer may fail this, not a loaded machine.
      { timeoutMs: 10_000 },
    );
    expect(answer).toMatchObject({ type: "server_response", result: { echo: { n } } });
  }
  return n;
}

describe("frames after the body, fuzzed", () => {
  it("never closes with 1011 or an undocumented code, answers each client_request once, and the neighbour keeps working", async () => {
    const { logger, entries } = captureLogger();
    const harness = await startHarness({
      conduit: { logger, timeoutMs: TIMEOUT_MS, heartbeatMs: 0, idleTimeoutMs: 0 },
      upgrade: { maxPayload: MAX_PAYLOAD },
    });
    const crashes: unknown[] = [];
    const onCrash = (err: unknown): void => void crashes.push(err);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);

    const good = await openGoodSocket(harness);
    const stop = { done: false };
    const neighbour = goodLoop(harness, good.responseId, stop);

    const sockets: FuzzedSocket[] = [];
    const oversized: string[] = [];
    let current = await openFuzzedSocket(harness, oversized);
    sockets.push(current);
    let sentinel = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(frameArb(TRACKED), { minLength: 1, maxLength: 8 }),
          fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fatalArb }),
          fc.nat(2),
          async (frames, fatal, inFlight) => {
            if (!isOpen(current)) {
              current = await openFuzzedSocket(harness, oversized);
              sockets.push(current);
            }
            const socket = current;
            // Requests in flight on this socket, for the server_responses above to hit (or time out).
            for (let i = 0; i < inFlight; i++) {
              const id = socket.tracked[i % socket.tracked.length] as string;
              socket.requests.push(
                sendServerRequest(harness.registry, id, { mcp: FS, method: "tools/list", headers: {} }).catch(
                  (err: unknown) => err,
                ),
              );
            }
            const all = fatal === null ? frames : [...frames, fatal];
            for (const frame of all) {
              if (frame.mayClose !== undefined) socket.allowed.add(frame.mayClose);
              if (Buffer.byteLength(frame.data) > MAX_PAYLOAD) socket.allowed.add(1009);
              if (!isOpen(socket)) break;
              socket.client.ws.send(frame.data, { binary: frame.binary });
            }
            if (fatal !== null) {
              const closed = await socket.client.closed;
              expect(socket.allowed.has(closed.code), `closed ${closed.code}`).toBe(true);
              return;
            }
            if (!isOpen(socket)) return;
            // Frames are handled in order: once the sentinel is answered, every earlier request was read.
            sentinel += 1;
            const id = `sentinel-${sentinel}`;
            socket.client.sendJson({
              type: "client_request",
              id,
              method: "mcp_list_changed",
              params: { mcp: FS, list: "tools" },
            });
            await vi.waitFor(
              () => {
                if (!isOpen(socket)) return;
                expect(socket.answers.get(id)).toBe(1);
                // A notify is answered a microtask after the frame, so this may trail the sentinel a little.
                for (const frame of frames) {
                  if (frame.answerId !== undefined)
                    expect(socket.answers.get(frame.answerId), String(frame.answerId)).toBe(1);
                }
              },
              { timeout: 5_000, interval: 5 },
            );
          },
        ),
        { numRuns: 400, endOnFailure: true },
      );
    } finally {
      stop.done = true;
      const roundTrips = await neighbour.finally(() => {
        process.off("uncaughtException", onCrash);
        process.off("unhandledRejection", onCrash);
      });
      expect(roundTrips).toBeGreaterThan(0);
    }

    // Every fuzzed socket that closed did so with a code its frames allow; none with 1011.
    for (const socket of sockets) {
      if (isOpen(socket)) continue;
      const closed = await socket.server.attached.closed;
      expect(closed.code).not.toBe(1011);
      expect(socket.allowed.has(closed.code), `server side closed ${closed.code}`).toBe(true);
    }
    // Every server_request on a fuzzed socket settled: answered, timed out, or failed by the close.
    const fuzzedIds = sockets.flatMap((socket) => socket.tracked);
    for (const socket of sockets) socket.client.terminate();
    await Promise.all(sockets.map((socket) => socket.server.attached.closed));
    await Promise.all(sockets.flatMap((socket) => socket.requests));
    for (const socket of sockets) expect(socket.server.attached.channel.pending.size).toBe(0);
    for (const id of fuzzedIds) {
      expect(harness.registry.has(id)).toBe(false);
      expect(harness.listeners.subscriberCount(id)).toBe(0);
    }
    // The neighbour is still attached and still answers.
    expect(harness.registry.has(good.responseId)).toBe(true);
    await expect(
      sendServerRequest(harness.registry, good.responseId, { mcp: FS, method: "ping", params: { n: -1 }, headers: {} }),
    ).resolves.toMatchObject({ result: { echo: { n: -1 } } });

    expect(crashes).toEqual([]);
    expect(oversized.map((text) => text.slice(0, 300))).toEqual([]);
    expect(entries.filter((entry) => entry.level === "error")).toEqual([]);
    for (const entry of entries) expect(JSON.stringify(entry).length).toBeLessThan(MAX_LOG_ENTRY);
    expect(sockets.length).toBeGreaterThan(1);
  });
});
