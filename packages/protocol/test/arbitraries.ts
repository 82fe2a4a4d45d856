// fast-check arbitraries that generate only *valid* frames, shared by the
// property tests. Each mirrors the contract in SPEC §4, not the zod schemas.
import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import {
  LIST_KINDS,
  parseMcpKind,
  type Chunk,
  type ChunkFrame,
  type ClientFrame,
  type ClientRequestFrame,
  type ClientResponseFrame,
  type ErrorFrame,
  type Frame,
  type McpKind,
  type RequestId,
  type ServerFrame,
  type ServerRequestFrame,
  type ServerResponseFrame,
  type WireError,
} from "../src/index.js";

/** A known-good McpKind; throws on a typo in a test fixture. */
export function kind(text: string): McpKind {
  const parsed = parseMcpKind(text);
  if (!parsed.ok) throw new Error(`test fixture is not an mcp kind: ${text} (${parsed.reason})`);
  return parsed.kind;
}

/** fc.record with plain prototypes, as JSON.parse produces (v4 mixes in null ones). */
function record<T>(model: { [K in keyof T]: Arbitrary<T[K]> }): Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

export const FRAME_TYPES = [
  "server_response",
  "client_request",
  "chunk",
  "server_request",
  "client_response",
  "error",
] as const;

export const segmentArb: Arbitrary<string> = fc
  .stringMatching(/^[A-Za-z0-9._-]{1,128}$/)
  .filter((segment) => !/^\.+$/.test(segment));

export const mcpKindArb: Arbitrary<McpKind> = fc
  .oneof(
    fc.constant("objectiveai"),
    fc.tuple(segmentArb, segmentArb, segmentArb, segmentArb).map((segments) => segments.join("/")),
  )
  .map(kind);

/**
 * Any JSON value, normalised through JSON once: `-0` becomes `0` and
 * null-prototype objects become plain ones, which the wire cannot tell apart.
 */
export const jsonArb: Arbitrary<unknown> = fc
  .jsonValue({ maxDepth: 3 })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);

/**
 * Keys of objects that zod copies key by key (records, loose objects). zod
 * drops an own `__proto__` key there (it never reaches the prototype chain;
 * see codec.test.ts), so such a frame cannot round-trip and is left out.
 */
const copiedKeyArb: Arbitrary<string> = fc.string({ maxLength: 12 }).filter((key) => key !== "__proto__");

function copiedDictionary<T>(value: Arbitrary<T>): Arbitrary<Record<string, T>> {
  return fc.dictionary(copiedKeyArb, value, { maxKeys: 4, noNullPrototype: true });
}

export const requestIdArb: Arbitrary<RequestId> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.maxSafeInteger(),
);

export const wireErrorArb: Arbitrary<WireError> = fc.record(
  { code: fc.integer(), message: fc.string(), data: jsonArb },
  { requiredKeys: ["code", "message"], noNullPrototype: true },
);

// ── client → server ────────────────────────────────────────────────────────

export const serverResponseFrameArb: Arbitrary<ServerResponseFrame> = fc.oneof(
  record({ type: fc.constant("server_response" as const), id: requestIdArb, result: jsonArb }),
  record({ type: fc.constant("server_response" as const), id: requestIdArb, error: wireErrorArb }),
  record({
    type: fc.constant("server_response" as const),
    id: requestIdArb,
    result: record({ result: jsonArb, mcp_session_id: fc.string({ minLength: 1 }) }),
  }),
);

export const clientRequestFrameArb: Arbitrary<ClientRequestFrame> = fc.oneof(
  record({
    type: fc.constant("client_request" as const),
    id: requestIdArb,
    method: fc.constant("agent_completion_notify" as const),
    params: record({ response_id: fc.string({ minLength: 1 }), content: fc.string() }),
  }),
  record({
    type: fc.constant("client_request" as const),
    id: requestIdArb,
    method: fc.constant("mcp_list_changed" as const),
    params: record({ mcp: mcpKindArb, list: fc.constantFrom(...LIST_KINDS) }),
  }),
  record({
    type: fc.constant("client_request" as const),
    id: requestIdArb,
    method: fc.constant("elicitation_response" as const),
    params: fc.oneof(
      fc.record(
        {
          response_id: fc.string({ minLength: 1, maxLength: 256 }),
          elicitation_id: fc.string({ minLength: 1, maxLength: 256 }),
          action: fc.constant("accept" as const),
          content: copiedDictionary(
            fc.oneof(
              fc.string(),
              fc.double({ noNaN: true, noDefaultInfinity: true }),
              fc.boolean(),
              fc.array(fc.string()),
            ),
          ).map(
            (content) => JSON.parse(JSON.stringify(content)) as Record<string, string | number | boolean | string[]>,
          ),
        },
        { requiredKeys: ["response_id", "elicitation_id", "action"], noNullPrototype: true },
      ),
      record({
        response_id: fc.string({ minLength: 1, maxLength: 256 }),
        elicitation_id: fc.string({ minLength: 1, maxLength: 256 }),
        action: fc.constantFrom("decline" as const, "cancel" as const),
      }),
    ),
  }),
);

export const clientFrameArb: Arbitrary<ClientFrame> = fc.oneof(serverResponseFrameArb, clientRequestFrameArb);

// ── server → client ────────────────────────────────────────────────────────

const CHUNK_KEYS = new Set([
  "id",
  "object",
  "index",
  "created",
  "delta",
  "tool_call",
  "tool_progress",
  "tool_result",
  "notification",
  "elicitation",
  "elicitation_result",
  "finish_reason",
  "usage",
  "error",
]);

const usageArb = record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat() });

/** Exactly one payload per chunk, as SPEC §4 lists them. */
const chunkPayloadArb: Arbitrary<Partial<Chunk>> = fc.oneof(
  record({ delta: record({ content: fc.string() }) }),
  record({
    tool_call: record({
      id: fc.string(),
      mcp: mcpKindArb,
      name: fc.string(),
      arguments: copiedDictionary(jsonArb),
    }),
  }),
  record({
    tool_result: record({
      tool_call_id: fc.string(),
      content: fc.array(jsonArb, { maxLength: 3 }),
      is_error: fc.boolean(),
    }),
  }),
  record({ notification: record({ content: fc.string() }) }),
  fc
    .record(
      {
        tool_call_id: fc.string(),
        progress: fc.double({ noNaN: true, noDefaultInfinity: true }),
        total: fc.double({ noNaN: true, noDefaultInfinity: true }),
        message: fc.string(),
      },
      { requiredKeys: ["tool_call_id", "progress"], noNullPrototype: true },
    )
    .map((progress) => ({ tool_progress: JSON.parse(JSON.stringify(progress)) as Chunk["tool_progress"] })),
  fc
    .record(
      {
        id: fc.string({ minLength: 1, maxLength: 256 }),
        tool_call_id: fc.string(),
        mcp: mcpKindArb,
        mode: fc.constantFrom("form" as const, "url" as const),
        message: fc.string(),
        requested_schema: copiedDictionary(jsonArb),
        url: fc.webUrl(),
      },
      { requiredKeys: ["id", "mcp", "mode", "message"], noNullPrototype: true },
    )
    .map((elicitation) => ({ elicitation })),
  record({
    elicitation_result: record({
      id: fc.string({ minLength: 1, maxLength: 256 }),
      action: fc.constantFrom("accept" as const, "decline" as const, "cancel" as const),
      source: fc.constantFrom("user" as const, "timeout" as const, "cancelled" as const),
    }),
  }),
  fc.record(
    {
      finish_reason: fc.constantFrom("stop" as const, "max_turns" as const, "error" as const, "cancelled" as const),
      usage: usageArb,
      error: record({ code: fc.oneof(fc.integer(), fc.string()), message: fc.string() }),
    },
    { requiredKeys: ["finish_reason"], noNullPrototype: true },
  ),
);

/** Fields a newer server may add; chunks are loose for forward compatibility. */
const chunkExtrasArb = fc.dictionary(
  copiedKeyArb.filter((key) => !CHUNK_KEYS.has(key)),
  jsonArb,
  { maxKeys: 2, noNullPrototype: true },
);

export const chunkArb: Arbitrary<Chunk> = fc
  .tuple(
    record({
      id: fc.string({ minLength: 1 }),
      object: fc.constant("agent.completion.chunk" as const),
      index: fc.nat(),
      created: fc.nat(),
    }),
    chunkPayloadArb,
    chunkExtrasArb,
  )
  .map(([base, payload, extras]) => ({ ...extras, ...base, ...payload }));

export const chunkFrameArb: Arbitrary<ChunkFrame> = record({ type: fc.constant("chunk" as const), data: chunkArb });

const headersArb = copiedDictionary(fc.string());

export const serverRequestFrameArb: Arbitrary<ServerRequestFrame> = fc.oneof(
  fc.record(
    {
      type: fc.constant("server_request" as const),
      id: requestIdArb,
      mcp: mcpKindArb,
      method: fc.string({ minLength: 1 }),
      params: jsonArb,
      headers: headersArb,
    },
    { requiredKeys: ["type", "id", "mcp", "method", "headers"], noNullPrototype: true },
  ),
  record({
    type: fc.constant("server_request" as const),
    id: requestIdArb,
    mcp: mcpKindArb,
    method: fc.constant("initialize"),
    params: record({
      arguments: copiedDictionary(fc.option(fc.string(), { nil: null })),
      initialize: jsonArb,
    }),
    headers: headersArb,
  }),
);

export const clientResponseFrameArb: Arbitrary<ClientResponseFrame> = fc.oneof(
  record({ type: fc.constant("client_response" as const), id: requestIdArb, ok: fc.constant(true as const) }),
  record({
    type: fc.constant("client_response" as const),
    id: requestIdArb,
    ok: fc.constant(false as const),
    error: wireErrorArb,
  }),
);

export const errorFrameArb: Arbitrary<ErrorFrame> = record({
  type: fc.constant("error" as const),
  error: wireErrorArb,
});

export const serverFrameArb: Arbitrary<ServerFrame> = fc.oneof(
  chunkFrameArb,
  serverRequestFrameArb,
  clientResponseFrameArb,
  errorFrameArb,
);

export const frameArb: Arbitrary<Frame> = fc.oneof(clientFrameArb, serverFrameArb);
