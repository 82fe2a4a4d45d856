import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OBJECTIVEAI_MCP,
  McpKindSchema,
  isMcpKind,
  mcpKindFromPath,
  mcpKindToPath,
  parseMcpKind,
} from "../src/index.js";
import { kind, mcpKindArb, segmentArb } from "./arbitraries.js";

// An independent reading of SPEC §3, written without regular expressions.
const SEGMENT_CHARS = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

function referenceSegment(segment: string): boolean {
  if (segment.length < 1 || segment.length > 128) return false;
  let onlyDots = true;
  for (const char of segment) {
    if (!SEGMENT_CHARS.has(char)) return false;
    if (char !== ".") onlyDots = false;
  }
  return !onlyDots;
}

function referenceIsMcpKind(text: string): boolean {
  if (text === "objectiveai") return true;
  const segments = text.split("/");
  return segments.length === 4 && segments.every(referenceSegment);
}

const VALID = [
  "objectiveai",
  "acme/files/1.0.0/fs",
  "a/b/c/d",
  "A-Z/0_9/v1.2.3-beta.1/x.y",
  "objectiveai/files/1/fs",
  ".hidden/a/b/c",
  "a/b/c/...x",
  "-/_/-/_",
  `${"a".repeat(128)}/b/c/d`,
  `a/b/c/${"Z".repeat(128)}`,
];

const INVALID: [string, string][] = [
  ["a `..` segment", "a/../c/d"],
  ["a `.` segment", "a/./c/d"],
  ["a trailing `..` segment", "a/b/c/.."],
  ["a segment of three dots", ".../b/c/d"],
  ["an empty middle segment", "a//c/d"],
  ["a leading slash", "/a/b/c"],
  ["a trailing slash", "a/b/c/"],
  ["a slash inside a segment (5 segments)", "a/b/c/d/e"],
  ["3 segments", "a/b/c"],
  ["2 segments", "a/b"],
  ["a 129-character segment", `${"a".repeat(129)}/b/c/d`],
  ["a 129-character last segment", `a/b/c/${"a".repeat(129)}`],
  ["a space", "a b/c/d/e"],
  ["a percent sign", "a%2F/b/c/d"],
  ["a backslash", "a\\b/c/d/e"],
  ["a unicode letter", "a/b/c/dé"],
  ["an emoji", "a/b/c/🙂"],
  ["a trailing newline", "a/b/c/d\n"],
  ["a NUL byte", "a/b/c/d\u0000"],
  ["a colon", "a:b/c/d/e"],
  ["the empty string", ""],
  ["a plain word", "files"],
  ["objectiveai in capitals", "ObjectiveAI"],
  ["objectiveai with a trailing slash", "objectiveai/"],
  ["objectiveai with a leading slash", "/objectiveai"],
  ["objectiveai with whitespace", " objectiveai"],
];

describe("parseMcpKind", () => {
  it.each(VALID)("accepts %j", (text) => {
    expect(parseMcpKind(text)).toEqual({ ok: true, kind: text });
    expect(isMcpKind(text)).toBe(true);
    expect(McpKindSchema.safeParse(text).success).toBe(true);
  });

  it.each(INVALID)("rejects %s", (_name, text) => {
    const result = parseMcpKind(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
    expect(isMcpKind(text)).toBe(false);
    expect(McpKindSchema.safeParse(text).success).toBe(false);
  });

  it("the built-in kind is objectiveai", () => {
    expect(OBJECTIVEAI_MCP).toBe("objectiveai");
  });

  it.each([42, null, undefined, {}, ["a", "b", "c", "d"]])("isMcpKind(%j) is false for a non-string", (value) => {
    expect(isMcpKind(value)).toBe(false);
  });
});

describe("path form", () => {
  it.each([
    ["/objectiveai", "objectiveai"],
    ["/acme/files/1.0.0/fs", "acme/files/1.0.0/fs"],
  ])("%s ↔ %s", (path, text) => {
    expect(mcpKindFromPath(path)).toEqual({ ok: true, kind: text });
    expect(mcpKindToPath(kind(text))).toBe(path);
  });

  it.each([
    "objectiveai",
    "acme/files/1.0.0/fs",
    "",
    "/",
    "//objectiveai",
    "/objectiveai/",
    "/acme/files/1.0.0/fs/",
    "//acme/files/1.0.0",
    "/acme/../1.0.0/fs",
  ])("rejects the path %j", (path) => {
    expect(mcpKindFromPath(path).ok).toBe(false);
  });
});

describe("properties", () => {
  it("every kind made of valid segments round-trips through its path", () => {
    fc.assert(
      fc.property(mcpKindArb, (mcp) => {
        const path = mcpKindToPath(mcp);
        expect(path).toBe(`/${mcp}`);
        expect(mcpKindFromPath(path)).toEqual({ ok: true, kind: mcp });
        expect(parseMcpKind(mcp)).toEqual({ ok: true, kind: mcp });
      }),
    );
  });

  it("four random valid segments always form a kind", () => {
    fc.assert(
      fc.property(fc.array(segmentArb, { minLength: 4, maxLength: 4 }), (segments) => {
        expect(parseMcpKind(segments.join("/")).ok).toBe(true);
      }),
    );
  });

  /** Strings close to the grammar, so that both answers come up often. */
  const nearKindArb = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary" }),
    fc.constantFrom("objectiveai", "objectiveai/", "/objectiveai", "."),
    fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom("a", "Z", "0", ".", "_", "-"), maxLength: 4 }) },
          {
            weight: 1,
            arbitrary: fc.string({
              unit: fc.constantFrom("a", ".", " ", "%", "é", "\\", "🙂", "\n", ":"),
              maxLength: 3,
            }),
          },
          { weight: 1, arbitrary: fc.constantFrom("", ".", "..", "...", "a".repeat(128), "a".repeat(129)) },
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((segments) => segments.join("/")),
  );

  it("parseMcpKind agrees with the reference predicate on random strings", () => {
    fc.assert(
      fc.property(nearKindArb, (text) => {
        const expected = referenceIsMcpKind(text);
        expect(parseMcpKind(text).ok).toBe(expected);
        expect(isMcpKind(text)).toBe(expected);
        expect(mcpKindFromPath(`/${text}`).ok).toBe(expected);
        expect(McpKindSchema.safeParse(text).success).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("the reference predicate is not trivially true or false on that input", () => {
    const samples = fc.sample(nearKindArb, { numRuns: 2000, seed: 42 });
    const accepted = samples.filter(referenceIsMcpKind).length;
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(samples.length - 50);
  });
});
