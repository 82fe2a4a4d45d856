// Adversarial fuzzing of every decoder that reads text from the wire or a
// header: hostile JSON, mutated valid frames, huge and deeply nested inputs,
// prototype keys, lone surrogates and number-ish text. Cheap cases run
// thousands of times; the large ones (100 KB strings, 50 000 levels) fewer.
import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  McpKindSchema,
  decodeArgumentsHeader,
  decodeClientFrame,
  decodeFrame,
  decodeServerFrame,
  encodeArgumentsHeader,
  encodeFrame,
  isMcpKind,
  mcpKindFromPath,
  parseMcpKind,
  type DecodeErrorKind,
  type DecodeResult,
  type Frame,
  type McpArguments,
} from "../src/index.js";
import { decodeBody, parseRequestBody } from "../src/body/index.js";
import { FRAME_TYPES, frameArb, mcpKindArb } from "./arbitraries.js";

/** SPEC: decoder errors are for logs and error frames; they must stay small whatever the input. */
const MAX_MESSAGE = 1024;
const KINDS: readonly DecodeErrorKind[] = ["invalid_json", "not_an_object", "unknown_type", "invalid_frame"];

type Decoder = (text: string) => DecodeResult<unknown>;

const FRAME_DECODERS: [string, Decoder][] = [
  ["decodeClientFrame", decodeClientFrame],
  ["decodeServerFrame", decodeServerFrame],
  ["decodeFrame", decodeFrame],
];
const ALL_DECODERS: [string, Decoder][] = [...FRAME_DECODERS, ["decodeBody", decodeBody]];

// ── hostile building blocks ───────────────────────────────────────────────

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "then"];
const NUMBERISH = ["NaN", "-NaN", "Infinity", "-Infinity", "1e999", "-1e999", "-0", "0x10", "1_000", "01", "+1", ".5"];
const NUMBERS = [-0, 0.5, -1, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -(2 ** 63), 1e21];

const loneSurrogateArb = fc.constantFrom("\ud800", "\udfff", "a\ud83d", "\ude00b", "\ud83d\ud83d");
const REPEATED_UNITS = ["k", "é", "\u0000", "/", "\ud83d\ude00", '"'];
/** Long strings for the high-volume properties (kept moderate so thousands of runs stay fast). */
const longStringArb = fc
  .tuple(fc.integer({ min: 300, max: 5_000 }), fc.constantFrom(...REPEATED_UNITS))
  .map(([n, unit]) => unit.repeat(n));
/** Up to 100 000 characters, for the properties that run fewer cases. */
const hugeStringArb = fc
  .tuple(fc.integer({ min: 5_000, max: 100_000 }), fc.constantFrom(...REPEATED_UNITS))
  .map(([n, unit]) => unit.repeat(n));

/** A string a peer could send where the decoder expects a short, well-formed one. */
const hostileStringArb: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS, ...NUMBERISH, ...FRAME_TYPES, "", " ", "objectiveai") },
  { weight: 2, arbitrary: loneSurrogateArb },
  { weight: 1, arbitrary: mcpKindArb.map(String) },
  { weight: 1, arbitrary: longStringArb },
);

/** Any JSON value, with hostile strings as keys and values (kept shallow: depth has its own test). */
const hostileJsonArb: Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(...NUMBERS),
    fc.integer(),
    hostileStringArb,
    fc.array(tie("value"), { maxLength: 4 }),
    fc
      .array(fc.tuple(hostileStringArb, tie("value")), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries) as unknown),
  ),
})).value;

/** `object[key]` when it is the object's own (`copy["__proto__"]` is Object.prototype: never write there). */
function ownField(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A hostile value at a random place in a valid frame: a top-level key or one level down. */
const mutatedFrameArb: Arbitrary<string> = fc
  .tuple(
    frameArb,
    fc.oneof(
      fc.constantFrom("type", "id", "method", "params", "result", "error", "data", "mcp", "ok"),
      hostileStringArb,
    ),
    fc.option(
      fc.oneof(fc.constantFrom("mcp", "list", "response_id", "content", "code", "message", "id"), hostileStringArb),
    ),
    hostileJsonArb,
    fc.constantFrom("set", "delete"),
  )
  .map(([frame, key, inner, value, op]) => {
    const copy = structuredClone(frame) as Record<string, unknown>;
    const target = inner === null ? copy : ownField(copy, key);
    const field = inner === null ? key : inner;
    if (typeof target === "object" && target !== null) {
      // Computed keys make own properties, so "__proto__" is written as a plain key.
      if (op === "delete") delete (target as Record<string, unknown>)[field];
      else Object.defineProperty(target, field, { value, enumerable: true, writable: true, configurable: true });
    }
    return JSON.stringify(copy);
  });

/** Text-level damage to a valid frame: truncation, a splice, or number-ish text where a number was. */
const damagedTextArb: Arbitrary<string> = fc
  .tuple(
    frameArb.map((frame) => JSON.stringify(frame)),
    fc.nat(),
    fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom(...NUMBERISH, "{", "[", '"', "\\", ",")),
    fc.constantFrom("truncate", "insert", "number"),
  )
  .map(([text, at, insert, op]) => {
    const cut = at % (text.length + 1);
    if (op === "truncate") return text.slice(0, cut);
    if (op === "insert") return text.slice(0, cut) + insert + text.slice(cut);
    return text.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/, NUMBERISH[at % NUMBERISH.length] ?? "NaN");
  });

/** An object with a known frame type (or the body's keys) and hostile fields. */
const frameLikeArb: Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...FRAME_TYPES), hostileStringArb),
    fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom("id", "method", "params", "result", "error", "ok", "data", "agent", "messages", "n"),
          hostileStringArb,
        ),
        hostileJsonArb,
      ),
      { maxLength: 6 },
    ),
  )
  .map(([type, entries]) => JSON.stringify({ ...Object.fromEntries(entries), type }));

/** Request bodies: valid-ish ones with hostile parts. */
const bodyLikeArb: Arbitrary<string> = fc
  .record(
    {
      agent: fc.oneof(
        fc.record({ upstream: fc.constant("mock"), turns: fc.array(hostileJsonArb, { maxLength: 3 }) }),
        fc.record({ upstream: fc.oneof(fc.constant("openai"), hostileStringArb), model: hostileJsonArb }),
        hostileJsonArb,
      ),
      messages: fc.oneof(fc.array(fc.record({ role: hostileStringArb, content: hostileJsonArb }), { maxLength: 3 })),
      n: fc.oneof(fc.integer(), fc.constantFrom(...NUMBERS), hostileJsonArb),
      stream: hostileJsonArb,
      max_turns: fc.oneof(fc.integer({ min: -5, max: 2000 }), hostileJsonArb),
      client_objectiveai_mcp: fc.oneof(
        fc.record({
          mcps: fc.array(fc.oneof(mcpKindArb.map(String), hostileStringArb), { maxLength: 70 }),
          arguments: fc.dictionary(hostileStringArb, fc.dictionary(hostileStringArb, hostileJsonArb, { maxKeys: 3 }), {
            maxKeys: 3,
          }),
        }),
        hostileJsonArb,
      ),
      [hugeKey()]: hostileJsonArb,
    },
    { requiredKeys: [] },
  )
  .map((body) => JSON.stringify(body));

function hugeKey(): string {
  return "x".repeat(5_000);
}

const anyTextArb: Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 2, arbitrary: hostileJsonArb.map((value) => JSON.stringify(value)) },
  { weight: 4, arbitrary: mutatedFrameArb },
  { weight: 2, arbitrary: damagedTextArb },
  { weight: 3, arbitrary: frameLikeArb },
  { weight: 2, arbitrary: bodyLikeArb },
  { weight: 1, arbitrary: frameArb.map((frame) => JSON.stringify(frame)) },
);

// ── invariants ──────────────────────────────────────────────────────────────

const prototypeKeys = Reflect.ownKeys(Object.prototype);

afterAll(() => {
  // No input may have written through to Object.prototype.
  expect(Reflect.ownKeys(Object.prototype)).toEqual(prototypeKeys);
});

/** `{ok:false, error:{kind, message}}` exactly, with a known kind and a short, non-empty message. */
function expectBoundedFailure(result: DecodeResult<unknown>): void {
  if (result.ok) return;
  expect(Object.keys(result).sort()).toEqual(["error", "ok"]);
  expect(Object.keys(result.error).sort()).toEqual(["kind", "message"]);
  expect(KINDS).toContain(result.error.kind);
  expect(typeof result.error.message).toBe("string");
  expect(result.error.message.length).toBeGreaterThan(0);
  expect(result.error.message.length).toBeLessThan(MAX_MESSAGE);
}

/**
 * Values compared as the wire sees them: `-0` (which `"id":-0` decodes to)
 * and `0` are the same JSON, and so the same request id to a Map.
 */
function wire(value: unknown): string {
  return JSON.stringify(value);
}

/** A decoded frame encodes and decodes to the same frame again. */
function expectFrameRevalidates(decode: Decoder, value: unknown): void {
  const encoded = encodeFrame(value as Frame);
  expect(encoded.ok).toBe(true);
  if (!encoded.ok) return;
  const again = decode(encoded.text);
  expect(again.ok).toBe(true);
  if (again.ok) expect(wire(again.value)).toBe(encoded.text);
}

/** A decoded body is a fixed point: parsing it (or its JSON) again gives the same body. */
function expectBodyRevalidates(value: unknown): void {
  for (const again of [parseRequestBody(value), decodeBody(JSON.stringify(value))]) {
    expect(again.ok).toBe(true);
    if (again.ok) expect(wire(again.value)).toBe(wire(value));
  }
}

function checkDecoder(name: string, decode: Decoder, text: string): void {
  const result = decode(text);
  expect(typeof result.ok).toBe("boolean");
  expectBoundedFailure(result);
  // Deterministic: the same text gives the same answer.
  const again = decode(text);
  expect(again.ok).toBe(result.ok);
  expect(wire(again)).toBe(wire(result));
  if (result.ok) {
    if (name === "decodeBody") expectBodyRevalidates(result.value);
    else expectFrameRevalidates(decode, result.value);
  }
}

describe("decoders on hostile text", () => {
  it.each(ALL_DECODERS)("%s never throws, fails small, and what it accepts re-validates", (name, decode) => {
    fc.assert(
      fc.property(anyTextArb, (text) => checkDecoder(name, decode, text)),
      { numRuns: 2000 },
    );
  });

  it("decodeFrame accepts exactly what one direction accepts, with the same value", () => {
    fc.assert(
      fc.property(anyTextArb, (text) => {
        const client = decodeClientFrame(text);
        const server = decodeServerFrame(text);
        const both = decodeFrame(text);
        expect(client.ok && server.ok).toBe(false);
        expect(both.ok).toBe(client.ok || server.ok);
        // Compared as JSON: toStrictEqual also compares `.constructor`, which a decoded `{"constructor":{}}` owns.
        if (client.ok) expect(wire(both)).toBe(wire(client));
        if (server.ok) expect(wire(both)).toBe(wire(server));
      }),
      { numRuns: 1000 },
    );
  });
});

/** `{"k":{"k":…1…}}` or `[[…]]`, `depth` levels, placed where a frame or body would carry a value. */
const deepTextArb: Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 1_000, max: 50_000 }),
    fc.constantFrom("array", "object", "mixed"),
    fc.constantFrom(
      '{"type":"server_response","id":1,"result":@}',
      '{"type":"server_response","id":1,"error":{"code":1,"message":"m","data":@}}',
      '{"type":"server_response","id":@,"result":1}',
      '{"type":"client_request","id":1,"method":"mcp_list_changed","params":@}',
      '{"type":"client_request","id":1,"method":"agent_completion_notify","params":{"response_id":"r","content":@}}',
      '{"type":"chunk","data":{"id":"x","object":"agent.completion.chunk","index":0,"created":0,"extra":@}}',
      '{"type":"chunk","data":{"id":"x","object":"agent.completion.chunk","index":0,"created":0,"tool_call":{"id":"c","mcp":"objectiveai","name":"n","arguments":{"a":@}}}}',
      '{"type":"server_request","id":1,"mcp":"objectiveai","method":"m","params":@,"headers":{}}',
      '{"type":@}',
      '{"agent":{"upstream":"mock","turns":[{"tool_calls":[{"mcp":"objectiveai","name":"t","arguments":{"a":@}}]}]}}',
      '{"agent":@}',
      "@",
    ),
  )
  .map(([depth, shape, template]) => {
    let open: string;
    let close: string;
    if (shape === "array") [open, close] = ["[", "]"];
    else if (shape === "object") [open, close] = ['{"__proto__":', "}"];
    else [open, close] = ['[{"a":', "}]"];
    return template.replace("@", `${open.repeat(depth)}1${close.repeat(depth)}`);
  });

describe("deep nesting (up to 50 000 levels)", () => {
  it.each(ALL_DECODERS)("%s never throws or overflows the stack", (name, decode) => {
    fc.assert(
      fc.property(deepTextArb, (text) => {
        const result = decode(text);
        expectBoundedFailure(result);
        // Re-validating a deep value would stringify it (the encoder reports, never throws): checked below.
        if (result.ok && name === "decodeBody") expect(parseRequestBody(result.value).ok).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("encodeFrame reports a frame too deep to stringify instead of throwing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const result = encodeFrame({ type: "server_response", id: 1, result: deep });
    expect(typeof result.ok).toBe("boolean");
  });
});

/** A valid frame or body with a 5 000-100 000 character string as a key or value somewhere. */
const hugeTextArb: Arbitrary<string> = fc
  .tuple(
    fc.oneof(frameArb, fc.constant({ agent: { upstream: "mock" } })),
    fc.oneof(fc.constantFrom("type", "id", "method", "params", "result", "error", "agent", "n"), hugeStringArb),
    fc.option(fc.oneof(fc.constantFrom("mcp", "list", "response_id", "content", "code", "message"), hugeStringArb)),
    fc.oneof(
      hugeStringArb,
      fc.tuple(hugeStringArb, hostileJsonArb).map(([k, v]) => ({ [k]: v })),
    ),
  )
  .map(([frame, key, inner, value]) => {
    const copy = structuredClone(frame) as Record<string, unknown>;
    const target = inner === null ? copy : ownField(copy, key);
    if (typeof target === "object" && target !== null) {
      Object.defineProperty(target, inner ?? key, { value, enumerable: true, writable: true, configurable: true });
    }
    return JSON.stringify(copy);
  });

describe("huge inputs fail with a short message", () => {
  it.each(ALL_DECODERS)("%s on frames carrying huge strings", (name, decode) => {
    fc.assert(
      fc.property(hugeTextArb, (text) => checkDecoder(name, decode, text)),
      { numRuns: 100 },
    );
  });

  const big = "k".repeat(200_000);
  const cases: [string, string][] = [
    ["an unknown huge key on a strict frame", JSON.stringify({ type: "server_response", id: 1, result: 1, [big]: 1 })],
    [
      "thousands of unknown keys",
      JSON.stringify({
        type: "server_response",
        id: 1,
        result: 1,
        ...Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`key${i}-${"y".repeat(40)}`, i])),
      }),
    ],
    [
      "a huge record key with a bad value",
      JSON.stringify({ type: "server_request", id: 1, mcp: "objectiveai", method: "m", headers: { [big]: 5 } }),
    ],
    ["a huge type", JSON.stringify({ type: big })],
    ["a huge id", JSON.stringify({ type: "server_response", id: big, result: 1 })],
    [
      "a huge mcp",
      JSON.stringify({
        type: "client_request",
        id: 1,
        method: "mcp_list_changed",
        params: { mcp: big, list: "tools" },
      }),
    ],
    ["a huge method", JSON.stringify({ type: "client_request", id: 1, method: big, params: {} })],
    ["invalid JSON, huge", `${big}}`],
    ["a huge unknown key in a body", JSON.stringify({ agent: { upstream: "mock" }, [big]: 1 })],
    [
      "huge keys in the body's arguments",
      JSON.stringify({
        agent: { upstream: "mock" },
        client_objectiveai_mcp: { mcps: [], arguments: { [big]: { [`${big}2`]: 5 } } },
      }),
    ],
    ["a huge upstream", JSON.stringify({ agent: { upstream: big } })],
  ];

  it.each(cases)("%s", (_name, text) => {
    for (const [, decode] of ALL_DECODERS) {
      const result = decode(text);
      expect(result.ok).toBe(false);
      expectBoundedFailure(result);
    }
  });
});

// ── McpKind ─────────────────────────────────────────────────────────────────

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;

/** The contract of SPEC §3, written independently of src/mcp-kind.ts. */
function isCanonicalKind(text: string): boolean {
  if (text === "objectiveai") return true;
  const segments = text.split("/");
  return segments.length === 4 && segments.every((s) => SEGMENT.test(s) && !/^\.+$/.test(s));
}

const segmentishArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{0,130}$/),
  fc.constantFrom(".", "..", "...", "", "%2e%2e", "a b", "objectiveai", "__proto__", "a\u0000"),
  fc.string({ unit: "binary", maxLength: 6 }),
  loneSurrogateArb,
);

const kindTextArb: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(segmentishArb, { minLength: 1, maxLength: 6 }).map((s) => s.join("/")) },
  { weight: 2, arbitrary: mcpKindArb.map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("objectiveai/", "/objectiveai", "OBJECTIVEAI", "objectiveai ", "a//b/c", "a/b/c/d/"),
  },
  { weight: 1, arbitrary: longStringArb },
  { weight: 1, arbitrary: longStringArb.map((s) => `${s}/a/b/c`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }).map((n) => "/".repeat(n)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
);

/** Whether a frame carrying `text` as its mcp decodes: the zod schema's own verdict. */
function schemaAccepts(text: string): boolean {
  return McpKindSchema.safeParse(text).success;
}

function checkKind(text: string): void {
  const parsed = parseMcpKind(text);
  expect(parsed.ok).toBe(isCanonicalKind(text));
  if (parsed.ok) expect(parsed.kind).toBe(text);
  else {
    expect(parsed.reason.length).toBeGreaterThan(0);
    expect(parsed.reason.length).toBeLessThan(MAX_MESSAGE);
  }
  expect(parseMcpKind(text)).toStrictEqual(parsed);
  expect(isMcpKind(text)).toBe(parsed.ok);
  expect(mcpKindFromPath(`/${text}`)).toStrictEqual(parsed);
  expect(mcpKindFromPath(text).ok).toBe(text.startsWith("/") && isCanonicalKind(text.slice(1)));
  expect(schemaAccepts(text)).toBe(parsed.ok);
}

describe("parseMcpKind on hostile text", () => {
  it("never throws, agrees with the contract, the path form and the frame schema; reasons stay short", () => {
    fc.assert(fc.property(kindTextArb, checkKind), { numRuns: 4000 });
  });

  it("the same for strings of up to 100 000 characters", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hugeStringArb,
          hugeStringArb.map((s) => `a/${s}/b/c`),
          fc.nat(50_000).map((n) => "/".repeat(n)),
        ),
        checkKind,
      ),
      { numRuns: 100 },
    );
  });

  it("isMcpKind is false for every non-string", () => {
    fc.assert(
      fc.property(hostileJsonArb, (value) => {
        if (typeof value !== "string") expect(isMcpKind(value)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

// ── X-OBJECTIVEAI-ARGUMENTS ────────────────────────────────────────────────

const argumentsArb: Arbitrary<McpArguments> = fc
  .array(fc.tuple(hostileStringArb, fc.option(hostileStringArb, { nil: null })), { maxLength: 6 })
  .map((entries) => {
    const args: McpArguments = {};
    for (const [key, value] of entries) {
      Object.defineProperty(args, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return args;
  });

const headerValueArb: Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 3, arbitrary: argumentsArb.map(encodeArgumentsHeader) },
  { weight: 3, arbitrary: hostileJsonArb.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: damagedTextArb },
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 1, arbitrary: fc.array(fc.string(), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, "", "null", "[]", '{"__proto__":{"polluted":"yes"}}') },
);

function checkArguments(value: string | string[] | undefined): void {
  const args = decodeArgumentsHeader(value);
  expect(typeof args).toBe("object");
  expect(args).not.toBeNull();
  expect(Array.isArray(args)).toBe(false);
  expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  for (const key of Object.keys(args)) {
    const item = Object.getOwnPropertyDescriptor(args, key)?.value as unknown;
    expect(item === null || typeof item === "string").toBe(true);
  }
  expect(decodeArgumentsHeader(value)).toStrictEqual(args);
  // Whatever came out encodes and decodes to itself, key order included.
  const again = decodeArgumentsHeader(encodeArgumentsHeader(args));
  expect(Object.keys(again)).toEqual(Object.keys(args));
  expect(again).toStrictEqual(args);
}

describe("decodeArgumentsHeader on hostile values", () => {
  it("never throws; always a plain object of string-or-null own values; deterministic", () => {
    fc.assert(fc.property(headerValueArb, checkArguments), { numRuns: 3000 });
  });

  it("the same for values nested up to 50 000 levels", () => {
    fc.assert(fc.property(deepTextArb, checkArguments), { numRuns: 30 });
  });

  it("valid arguments survive encode → decode with their order, prototype keys included", () => {
    fc.assert(
      fc.property(argumentsArb, (args) => {
        const header = encodeArgumentsHeader(args);
        expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
        const decoded = decodeArgumentsHeader(header);
        expect(Object.keys(decoded)).toEqual(Object.keys(args));
        for (const key of Object.keys(args)) {
          expect(Object.getOwnPropertyDescriptor(decoded, key)?.value).toBe(
            Object.getOwnPropertyDescriptor(args, key)?.value,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });
});
