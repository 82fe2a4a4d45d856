import { describe, expect, it } from "vitest";
import {
  LONG_LIVED_METHODS,
  PROTOCOL_VERSION_META_KEY,
  SUBSCRIPTION_ID_META_KEY,
  declaresSessionlessRevision,
  isLongLivedMethod,
  isSessionlessRevision,
  subscriptionIdOf,
  withSubscriptionId,
} from "../src/index.js";

describe("isSessionlessRevision", () => {
  it("is 2026-07-28 and every later dated revision", () => {
    expect(isSessionlessRevision("2026-07-28")).toBe(true);
    expect(isSessionlessRevision("2027-01-01")).toBe(true);
    expect(isSessionlessRevision("2025-11-25")).toBe(false);
    expect(isSessionlessRevision("2026-07-27")).toBe(false);
  });

  it("is false for anything that is not a dated revision", () => {
    for (const value of [undefined, null, 20260728, "", "9999", "2026-07-28x", "draft", "3000-1-1"]) {
      expect(isSessionlessRevision(value)).toBe(false);
    }
  });
});

describe("declaresSessionlessRevision", () => {
  it("reads the MCP-Protocol-Version header or params._meta", () => {
    expect(declaresSessionlessRevision("2026-07-28", undefined)).toBe(true);
    expect(declaresSessionlessRevision(undefined, { _meta: { [PROTOCOL_VERSION_META_KEY]: "2026-07-28" } })).toBe(true);
    expect(declaresSessionlessRevision("2025-11-25", { name: "x" })).toBe(false);
    expect(declaresSessionlessRevision(undefined, { _meta: { [PROTOCOL_VERSION_META_KEY]: 2026 } })).toBe(false);
    expect(declaresSessionlessRevision(undefined, { _meta: "2026-07-28" })).toBe(false);
  });
});

describe("subscription ids", () => {
  it("reads a string or number id from _meta", () => {
    expect(subscriptionIdOf({ _meta: { [SUBSCRIPTION_ID_META_KEY]: 7 } })).toBe(7);
    expect(subscriptionIdOf({ _meta: { [SUBSCRIPTION_ID_META_KEY]: "listen:0" } })).toBe("listen:0");
    expect(subscriptionIdOf({ _meta: { [SUBSCRIPTION_ID_META_KEY]: {} } })).toBeUndefined();
    expect(subscriptionIdOf({})).toBeUndefined();
    expect(subscriptionIdOf(undefined)).toBeUndefined();
  });

  it("rewrites an id that is there, keeps everything else, and adds none", () => {
    const params = { uri: "a://b", _meta: { [SUBSCRIPTION_ID_META_KEY]: 3, other: true } };
    const rewritten = withSubscriptionId(params, "listen:0");
    expect(rewritten).toEqual({ uri: "a://b", _meta: { [SUBSCRIPTION_ID_META_KEY]: "listen:0", other: true } });
    expect(params._meta[SUBSCRIPTION_ID_META_KEY]).toBe(3);
    const without = { _meta: { other: true } };
    expect(withSubscriptionId(without, 1)).toBe(without);
  });
});

describe("long-lived methods", () => {
  it("are subscriptions/listen only", () => {
    expect([...LONG_LIVED_METHODS]).toEqual(["subscriptions/listen"]);
    expect(isLongLivedMethod("subscriptions/listen")).toBe(true);
    expect(isLongLivedMethod("tools/call")).toBe(false);
  });
});
