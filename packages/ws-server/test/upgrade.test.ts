import { afterEach, describe, expect, it } from "vitest";
import { SUBPROTOCOL, SUBPROTOCOL_V2 } from "@conduit/protocol";
import { createUpgradeHandler } from "../src/index.js";
import { PATH, TestClient, refusedUpgrade, startHarness, closeOpened } from "./helpers.js";

afterEach(closeOpened);

async function open(url: string, protocols?: string[]): Promise<TestClient> {
  const client = new TestClient(url, {}, protocols);
  await client.opened;
  return client;
}

describe("createUpgradeHandler", () => {
  it("accepts an upgrade that offers conduit.v1 and negotiates it", async () => {
    const harness = await startHarness();
    const client = await open(harness.url, ["other.v9", SUBPROTOCOL]);
    const { attached } = await harness.accepted.next();
    expect(client.ws.protocol).toBe(SUBPROTOCOL);
    expect(harness.conduit.size).toBe(1);
    expect(attached.signal.aborted).toBe(false);
  });

  it("accepts an upgrade that offers no subprotocol at all", async () => {
    const harness = await startHarness();
    const client = await open(harness.url, []);
    await harness.accepted.next();
    expect(client.ws.protocol).toBe("");
  });

  it("picks conduit.v2 when both versions are offered, and conduit.v1 when only it is", async () => {
    const harness = await startHarness();
    const both = await open(harness.url, [SUBPROTOCOL, SUBPROTOCOL_V2]);
    expect(both.ws.protocol).toBe(SUBPROTOCOL_V2);
    const v1 = await open(harness.url, [SUBPROTOCOL]);
    expect(v1.ws.protocol).toBe(SUBPROTOCOL);
  });

  it("refuses with 400 when protocols are offered without conduit.v1 or conduit.v2", async () => {
    const harness = await startHarness();
    const refused = await refusedUpgrade(harness.url, ["graphql-ws", "conduit.v3"]);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 400 } });
    expect(harness.conduit.size).toBe(0);
  });

  it("answers 404 on another path", async () => {
    const harness = await startHarness();
    const refused = await refusedUpgrade(harness.url.replace(PATH, "/elsewhere"), [SUBPROTOCOL]);
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ error: { code: 404, message: "not found" } });
  });

  it("matches the path with a predicate and ignores the query string", async () => {
    const harness = await startHarness({ upgrade: { path: (pathname) => pathname.startsWith("/ws/") } });
    const base = harness.url.replace(PATH, "");
    await open(`${base}/ws/one?x=1`);
    await harness.accepted.next();
    const refused = await refusedUpgrade(`${base}/other`, [SUBPROTOCOL]);
    expect(refused.status).toBe(404);
  });

  it("refuses with the authenticate verdict as JSON before any upgrade", async () => {
    let calls = 0;
    const harness = await startHarness({
      upgrade: {
        authenticate: async (req) => {
          calls += 1;
          if (req.headers.authorization === "Bearer good") return true;
          return { status: 401, body: { error: { code: 401, message: "invalid API key" } } };
        },
      },
    });
    const refused = await refusedUpgrade(harness.url, [SUBPROTOCOL], { authorization: "Bearer bad" });
    expect(refused).toEqual({ status: 401, body: { error: { code: 401, message: "invalid API key" } } });
    expect(harness.accepted.length).toBe(0);
    expect(harness.conduit.size).toBe(0);

    const client = new TestClient(harness.url, { headers: { authorization: "Bearer good" } });
    await client.opened;
    const { req } = await harness.accepted.next();
    expect(req.headers.authorization).toBe("Bearer good");
    expect(calls).toBe(2);
  });

  it("refuses with 401 when authenticate returns false and 500 when it throws", async () => {
    let mode: "false" | "throw" = "false";
    const harness = await startHarness({
      upgrade: {
        authenticate: () => {
          if (mode === "throw") throw new Error("auth backend down");
          return false;
        },
      },
    });
    expect((await refusedUpgrade(harness.url, [SUBPROTOCOL])).status).toBe(401);
    mode = "throw";
    const refused = await refusedUpgrade(harness.url, [SUBPROTOCOL]);
    expect(refused.status).toBe(500);
    expect(JSON.stringify(refused.body)).not.toContain("auth backend down");
  });

  it("answers 401, not 404, on another path when authentication fails; 404 only once authenticated", async () => {
    const harness = await startHarness({
      upgrade: { authenticate: (req) => req.headers.authorization === "Bearer good" },
    });
    const elsewhere = harness.url.replace(PATH, "/elsewhere");
    expect(await refusedUpgrade(elsewhere, [SUBPROTOCOL])).toEqual({
      status: 401,
      body: { error: { code: 401, message: "unauthorized" } },
    });
    expect((await refusedUpgrade(elsewhere, [SUBPROTOCOL], { authorization: "Bearer bad" })).status).toBe(401);
    // The subprotocol check comes after authentication too.
    expect((await refusedUpgrade(harness.url, ["graphql-ws"])).status).toBe(401);
    expect((await refusedUpgrade(elsewhere, [SUBPROTOCOL], { authorization: "Bearer good" })).status).toBe(404);
    expect((await refusedUpgrade(harness.url, ["graphql-ws"], { authorization: "Bearer good" })).status).toBe(400);
    expect(harness.accepted.length).toBe(0);
  });

  describe("browser Origin", () => {
    const ORIGIN = "https://app.example.com";

    it("refuses any Origin with 403 by default, before authenticate runs", async () => {
      let calls = 0;
      const harness = await startHarness({
        upgrade: {
          authenticate: () => {
            calls += 1;
            return true;
          },
        },
      });
      const refused = await refusedUpgrade(harness.url, [SUBPROTOCOL], { origin: ORIGIN });
      expect(refused).toEqual({ status: 403, body: { error: { code: 403, message: "origin not allowed" } } });
      expect((await refusedUpgrade(harness.url, [SUBPROTOCOL], { origin: "null" })).status).toBe(403);
      expect(calls).toBe(0);
      expect(harness.accepted.length).toBe(0);
      expect(harness.conduit.size).toBe(0);
    });

    it("accepts an allowed Origin exactly as listed and refuses others", async () => {
      const harness = await startHarness({ upgrade: { allowedOrigins: [ORIGIN, "http://localhost:3000"] } });
      await new TestClient(harness.url, { origin: ORIGIN }).opened;
      const { req } = await harness.accepted.next();
      expect(req.headers.origin).toBe(ORIGIN);
      for (const origin of [
        "https://evil.example",
        "http://app.example.com",
        "https://app.example.com:8443",
        "http://localhost:3001",
      ]) {
        expect((await refusedUpgrade(harness.url, [SUBPROTOCOL], { origin })).status).toBe(403);
      }
      expect(harness.accepted.length).toBe(0);
    });

    it("accepts a request without Origin (CLI, server to server) whatever the list", async () => {
      const harness = await startHarness({ upgrade: { allowedOrigins: [ORIGIN] } });
      const client = await open(harness.url);
      const { req } = await harness.accepted.next();
      expect(req.headers.origin).toBeUndefined();
      expect(client.ws.protocol).toBe(SUBPROTOCOL);
    });

    it('accepts any Origin with "*"', async () => {
      const harness = await startHarness({ upgrade: { allowedOrigins: ["*"] } });
      await new TestClient(harness.url, { origin: "https://anything.example" }).opened;
      expect((await harness.accepted.next()).req.headers.origin).toBe("https://anything.example");
    });

    it("throws a TypeError for an entry that could never match an Origin", () => {
      for (const entry of [
        `${ORIGIN}/`,
        "https://App.example.com",
        "app.example.com",
        "https://a.example:443",
        "null",
        "",
      ]) {
        expect(() => createUpgradeHandler({ path: PATH, allowedOrigins: [entry], onConnection: () => {} })).toThrow(
          TypeError,
        );
      }
    });
  });

  it("refuses upgrades with 503 once closed", async () => {
    const harness = await startHarness();
    harness.upgrade.close();
    expect((await refusedUpgrade(harness.url, [SUBPROTOCOL])).status).toBe(503);
  });
});
