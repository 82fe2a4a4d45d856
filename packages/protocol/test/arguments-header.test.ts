import fc from "fast-check";
import type { Arbitrary } from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeArgumentsHeader, encodeArgumentsHeader, type McpArguments } from "../src/index.js";

describe("decodeArgumentsHeader", () => {
  it("keeps the order of the keys", () => {
    const decoded = decodeArgumentsHeader('{"zeta":"1","alpha":"2","mid":"3"}');
    expect(Object.keys(decoded)).toEqual(["zeta", "alpha", "mid"]);
    expect(decoded).toEqual({ zeta: "1", alpha: "2", mid: "3" });
  });

  it("keeps null values as null", () => {
    const decoded = decodeArgumentsHeader('{"token":null,"root":"/home/me"}');
    expect(decoded).toStrictEqual({ token: null, root: "/home/me" });
    expect(Object.keys(decoded)).toEqual(["token", "root"]);
  });

  it("an empty object is an empty object", () => {
    expect(decodeArgumentsHeader("{}")).toStrictEqual({});
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["malformed JSON", "{root:"],
    ["truncated JSON", '{"root":"/a"'],
    ["an array", '["a","b"]'],
    ["an empty array", "[]"],
    ["null", "null"],
    ["a string", '"root"'],
    ["a number", "42"],
    ["a number value", '{"a":"x","b":1}'],
    ["a boolean value", '{"a":true}'],
    ["an object value", '{"a":{"b":"c"}}'],
    ["an array value", '{"a":["b"]}'],
    ["a repeated header (string[])", ['{"a":"b"}', '{"c":"d"}']],
  ])("%s gives {}", (_name, value) => {
    expect(decodeArgumentsHeader(value)).toStrictEqual({});
  });
});

describe("encodeArgumentsHeader", () => {
  it("writes compact JSON", () => {
    expect(encodeArgumentsHeader({ a: "1", b: null })).toBe('{"a":"1","b":null}');
  });

  // Integer-like keys ("1", "42") are excluded from the order check: a JS
  // object always lists them first, whatever order they were written in.
  const argumentsArb: Arbitrary<McpArguments> = fc.dictionary(
    fc.string({ maxLength: 16 }).filter((key) => !/^\d+$/.test(key)),
    fc.option(fc.string({ unit: "grapheme" }), { nil: null }),
    { noNullPrototype: true },
  );

  it("round-trips through decodeArgumentsHeader, order and nulls kept", () => {
    fc.assert(
      fc.property(argumentsArb, (args) => {
        const decoded = decodeArgumentsHeader(encodeArgumentsHeader(args));
        expect(decoded).toStrictEqual(args);
        expect(Object.keys(decoded)).toEqual(Object.keys(args));
      }),
    );
  });

  it("never throws on arbitrary header text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 3 }), fc.string({ unit: "binary" })), (text) => {
        const decoded = decodeArgumentsHeader(text);
        for (const value of Object.values(decoded)) expect(value === null || typeof value === "string").toBe(true);
      }),
    );
  });
});

describe("encodeArgumentsHeader output is a valid HTTP header value", () => {
  it("escapes non-ASCII characters so fetch and node:http accept it, and decodes back unchanged", () => {
    const args = { city: "日本 Zürich", emoji: "🙂", plain: "a\u007fb", none: null };
    const encoded = encodeArgumentsHeader(args);
    expect(encoded).toMatch(/^[\x20-\x7e]*$/);
    expect(() => new Headers({ "x-objectiveai-arguments": encoded })).not.toThrow();
    expect(decodeArgumentsHeader(encoded)).toEqual(args);
    expect(Object.keys(decodeArgumentsHeader(encoded))).toEqual(Object.keys(args));
  });
});
