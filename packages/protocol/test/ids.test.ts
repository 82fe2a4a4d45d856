import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintResponseId, shortId } from "../src/index.js";

describe("mintResponseId", () => {
  it("is resp_ followed by 128 bits in base64url", () => {
    const id = mintResponseId();
    expect(id).toMatch(/^resp_[A-Za-z0-9_-]{22}$/);
    const bytes = Buffer.from(id.slice("resp_".length), "base64url");
    expect(bytes.length).toBe(16);
  });

  it("gives 1000 distinct ids", () => {
    const ids = Array.from({ length: 1000 }, () => mintResponseId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^resp_[A-Za-z0-9_-]{22}$/);
  });

  it("uses the whole alphabet in every position (no fixed bits)", () => {
    // 22 base64url characters carry 132 bits; only the last one is padded
    // (2 bits), so every other position should see many symbols.
    const ids = Array.from({ length: 1000 }, () => mintResponseId().slice(5));
    for (let position = 0; position < 21; position += 1) {
      const symbols = new Set(ids.map((id) => id[position]));
      expect(symbols.size).toBeGreaterThan(48);
    }
  });
});

describe("shortId", () => {
  it("never returns the whole of an id longer than 12 characters", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 13, maxLength: 64 }), (id) => {
        const short = shortId(id);
        expect(short).not.toBe(id);
        expect(short.includes(id)).toBe(false);
        expect(short.startsWith(id.slice(0, 12))).toBe(true);
      }),
    );
  });

  it("cuts a minted id well short of its 128 random bits", () => {
    const id = mintResponseId();
    expect(shortId(id)).toBe(`${id.slice(0, 12)}…`);
  });

  it("leaves short ids as they are", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (id) => {
        expect(shortId(id)).toBe(id);
      }),
    );
  });
});
