import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeClientFrame,
  decodeFrame,
  decodeServerFrame,
  encodeFrame,
  type DecodeErrorKind,
  type DecodeResult,
} from "../src/index.js";
import { decodeBody } from "../src/body/index.js";
import { FRAME_TYPES, clientFrameArb, frameArb, jsonArb, serverFrameArb } from "./arbitraries.js";

const KINDS: readonly DecodeErrorKind[] = ["invalid_json", "not_an_object", "unknown_type", "invalid_frame"];

const DECODERS: [string, (text: string) => DecodeResult<unknown>][] = [
  ["decodeFrame", decodeFrame],
  ["decodeClientFrame", decodeClientFrame],
  ["decodeServerFrame", decodeServerFrame],
  ["decodeBody", decodeBody],
];

/** Never throws; `ok` is a boolean; a failure has a known kind and a message. */
function expectWellFormed(result: DecodeResult<unknown>): void {
  expect(typeof result.ok).toBe("boolean");
  if (!result.ok) {
    expect(KINDS).toContain(result.error.kind);
    expect(typeof result.error.message).toBe("string");
    expect(result.error.message.length).toBeGreaterThan(0);
  }
}

/** The kind a failure must have, from the JSON alone (null: depends on the schema). */
function expectedShapeKind(text: string): DecodeErrorKind | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "invalid_json";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "not_an_object";
  return null;
}

/** Objects that look like frames: a known or hostile `type`, random fields. */
const frameLikeArb = fc
  .tuple(
    fc.oneof(fc.constantFrom(...FRAME_TYPES), fc.string(), jsonArb),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom("id", "result", "error", "method", "params", "mcp", "headers", "data", "ok"),
        fc.string(),
      ),
      jsonArb,
      { maxKeys: 6 },
    ),
  )
  .map(([type, fields]) => JSON.stringify({ ...fields, type }));

/** A valid frame with one field replaced by a random JSON value. */
const mutatedFrameArb = fc
  .tuple(frameArb, fc.string(), jsonArb)
  .map(([frame, key, value]) => JSON.stringify({ ...frame, [key]: value }));

const anyTextArb = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  frameLikeArb,
  mutatedFrameArb,
);

describe("decoders never throw", () => {
  it.each(DECODERS)("%s returns {ok} with a typed error on any text", (_name, decode) => {
    fc.assert(
      fc.property(anyTextArb, (text) => {
        const result = decode(text);
        expectWellFormed(result);
        const kind = expectedShapeKind(text);
        if (kind !== null) expect(result).toMatchObject({ ok: false, error: { kind } });
      }),
      { numRuns: 1000 },
    );
  });

  it("decodeFrame accepts exactly what one of the two directions accepts", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyTextArb,
          frameArb.map((frame) => JSON.stringify(frame)),
        ),
        (text) => {
          const client = decodeClientFrame(text).ok;
          const server = decodeServerFrame(text).ok;
          expect(client && server).toBe(false);
          expect(decodeFrame(text).ok).toBe(client || server);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function encode(frame: Parameters<typeof encodeFrame>[0]): string {
  const result = encodeFrame(frame);
  if (!result.ok) throw new Error(result.error);
  return result.text;
}

describe("every valid frame survives encode → decode unchanged", () => {
  it("client frames", () => {
    fc.assert(
      fc.property(clientFrameArb, (frame) => {
        const text = encode(frame);
        expect(decodeClientFrame(text)).toStrictEqual({ ok: true, value: frame });
        expect(decodeFrame(text)).toStrictEqual({ ok: true, value: frame });
        expect(decodeServerFrame(text)).toMatchObject({ ok: false, error: { kind: "unknown_type" } });
      }),
      { numRuns: 500 },
    );
  });

  it("server frames", () => {
    fc.assert(
      fc.property(serverFrameArb, (frame) => {
        const text = encode(frame);
        expect(decodeServerFrame(text)).toStrictEqual({ ok: true, value: frame });
        expect(decodeFrame(text)).toStrictEqual({ ok: true, value: frame });
        expect(decodeClientFrame(text)).toMatchObject({ ok: false, error: { kind: "unknown_type" } });
      }),
      { numRuns: 500 },
    );
  });

  it("a decoded frame encodes to the same JSON value again", () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const text = encode(frame);
        const decoded = decodeFrame(text);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(JSON.parse(encode(decoded.value))).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("the generators reach every frame type", () => {
    const seen = new Set(fc.sample(frameArb, { numRuns: 500, seed: 7 }).map((frame) => frame.type));
    expect([...seen].sort()).toEqual([...FRAME_TYPES].sort());
  });
});
