import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPlainServerRequest, isPlainServerResponse } from "../src/frame-fast-path.js";
import {
  decodeClientFrame,
  decodeServerFrame,
  ServerRequestFrameSchema,
  ServerResponseFrameSchema,
} from "../src/index.js";
import { jsonArb, mcpKindArb, requestIdArb, serverRequestFrameArb, serverResponseFrameArb } from "./arbitraries.js";

/** Anything a field might hold on the wire: the right shape or a near miss. */
const nearMiss = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(good, jsonArb, fc.constant(""), fc.constant(1.5), fc.constant(2 ** 53), fc.constant("x".repeat(257)));

const headersLikeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3, noNullPrototype: true }),
  fc.dictionary(fc.string({ maxLength: 8 }), jsonArb, { maxKeys: 3, noNullPrototype: true }),
  fc.constant(JSON.parse('{"__proto__":"x","a":"b"}') as unknown),
  jsonArb,
);

/** Frames of the right type with every field possibly wrong, missing, or an extra key. */
const serverRequestLikeArb = fc.record(
  {
    type: fc.constant("server_request"),
    id: nearMiss(requestIdArb),
    mcp: nearMiss(mcpKindArb),
    method: nearMiss(fc.string({ minLength: 1 })),
    params: jsonArb,
    headers: headersLikeArb,
    extra: jsonArb,
  },
  { requiredKeys: ["type"], noNullPrototype: true },
);

const serverResponseLikeArb = fc.record(
  {
    type: fc.constant("server_response"),
    id: nearMiss(requestIdArb),
    result: jsonArb,
    error: jsonArb,
    conduit: fc.constant(true),
  },
  { requiredKeys: ["type"], noNullPrototype: true },
);

/** Through JSON, as the decoder sees it. */
const wire = (frame: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(frame)) as Record<string, unknown>;

describe("the hand checks in front of the hot frames' schemas", () => {
  it.each([
    {
      type: "server_request",
      candidates: fc.oneof(serverRequestLikeArb, serverRequestFrameArb),
      check: isPlainServerRequest,
      schema: ServerRequestFrameSchema,
      decode: decodeServerFrame,
    },
    {
      type: "server_response",
      candidates: fc.oneof(serverResponseLikeArb, serverResponseFrameArb),
      check: isPlainServerResponse,
      schema: ServerResponseFrameSchema,
      decode: decodeClientFrame,
    },
  ])("accept only $type frames the schema accepts, and the decoder's value equals the schema's", (hot) => {
    fc.assert(
      fc.property(hot.candidates, (candidate: unknown) => {
        const frame = wire(candidate);
        const schema = hot.schema.safeParse(frame);
        if (hot.check(frame)) expect(schema.success).toBe(true);
        const decoded = hot.decode(JSON.stringify(frame));
        expect(decoded.ok).toBe(schema.success);
        if (decoded.ok && schema.success) expect(decoded.value).toEqual(schema.data);
      }),
      { numRuns: 2000 },
    );
  });

  it("take the frames a forwarded call carries, and leave the rest to the schema", () => {
    const request = {
      type: "server_request",
      id: 7,
      mcp: "objectiveai",
      method: "tools/call",
      params: { name: "echo" },
      headers: { "x-a": "b" },
    };
    expect(isPlainServerRequest(request)).toBe(true);
    expect(isPlainServerRequest({ ...request, headers: { "x-a": 1 } })).toBe(false);
    expect(isPlainServerRequest({ ...request, mcp: "acme/../1.0.0/fs" })).toBe(false);
    expect(isPlainServerRequest({ ...request, extra: 1 })).toBe(false);
    expect(isPlainServerResponse({ type: "server_response", id: "r1", result: { content: [] } })).toBe(true);
    expect(isPlainServerResponse({ type: "server_response", id: "r1", error: { code: 1, message: "m" } })).toBe(false);
    expect(isPlainServerResponse({ type: "server_response", id: 1.5, result: null })).toBe(false);
  });
});
