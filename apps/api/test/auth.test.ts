import { describe, expect, it } from "vitest";
import { exitWithin, mockBody, openRaw, startCli, upgradeStatus, useSharedApi } from "./helpers.js";

const ALLOWED_ORIGIN = "https://app.example.com";

const api = useSharedApi({ API_KEYS: "key-one, key-two", ALLOWED_ORIGINS: ALLOWED_ORIGIN });

async function expect401(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  const json = (await response.json()) as { error: { code: number; message: string } };
  expect(json.error.code).toBe(401);
  expect(json.error.message.length).toBeGreaterThan(0);
}

const body = JSON.stringify(mockBody([{ content: "hi" }]));

describe("API_KEYS bearer auth", () => {
  it("guards POST, /metrics and /healthz", async () => {
    const url = `${api().baseUrl}/agent/completions`;
    await expect401(await fetch(url, { method: "POST", body }));
    await expect401(await fetch(url, { method: "POST", body, headers: { authorization: "Bearer key-three" } }));
    await expect401(await fetch(url, { method: "POST", body, headers: { authorization: "Basic key-one" } }));
    await expect401(await fetch(`${api().baseUrl}/metrics`));
    await expect401(await fetch(`${api().baseUrl}/healthz`));
    await expect401(await fetch(`${api().baseUrl}/nope`));

    const ok = await fetch(url, { method: "POST", body, headers: { authorization: "Bearer key-two" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { agents: { content: string }[] }).agents[0]!.content).toBe("hi");
    expect((await fetch(`${api().baseUrl}/metrics`, { headers: { authorization: "Bearer key-one" } })).status).toBe(
      200,
    );
  });

  it("refuses the WebSocket upgrade without a key (the CLI exits 3) and accepts it with one", async () => {
    const refused = startCli(api().wsUrl, mockBody([{ content: "hi" }]), { everything: false });
    expect((await exitWithin(refused)).code).toBe(3);
    expect(refused.stderr.text()).toMatch(/401/);
    expect(refused.chunks()).toHaveLength(0);

    const wrong = startCli(api().wsUrl, mockBody([{ content: "hi" }]), { everything: false, apiKey: "nope" });
    expect((await exitWithin(wrong)).code).toBe(3);

    const accepted = startCli(api().wsUrl, mockBody([{ content: "hi" }]), { everything: false, apiKey: "key-one" });
    expect((await exitWithin(accepted)).code, accepted.stderr.text()).toBe(0);
    expect(accepted.chunks().at(-1)).toMatchObject({ finish_reason: "stop" });
  });

  it("answers an upgrade on an unknown path 401 without a key, 404 only with one", async () => {
    const elsewhere = api().wsUrl.replace("/agent/completions", "/elsewhere");
    expect(await upgradeStatus(elsewhere, "conduit.v1", {})).toBe(401);
    expect(await upgradeStatus(elsewhere, "conduit.v1", { authorization: "Bearer key-one" })).toBe(404);
  });

  it("checks the key first, then a browser Origin against ALLOWED_ORIGINS", async () => {
    const key = { authorization: "Bearer key-one" };
    expect(await upgradeStatus(api().wsUrl, "conduit.v1", { ...key, origin: "https://evil.example" })).toBe(403);
    expect(await upgradeStatus(api().wsUrl, "conduit.v1", { origin: "https://evil.example" })).toBe(401);
    expect(await upgradeStatus(api().wsUrl, "conduit.v1", { origin: ALLOWED_ORIGIN })).toBe(401);
    const elsewhere = api().wsUrl.replace("/agent/completions", "/elsewhere");
    expect(await upgradeStatus(elsewhere, "conduit.v1", { ...key, origin: ALLOWED_ORIGIN })).toBe(404);
  });

  it("answers 401 before anything else on every upgrade path: unknown paths, a bad subprotocol", async () => {
    const upgrade = async (path: string, headers: string): Promise<string> => {
      const raw = await openRaw(api().port);
      raw.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers}\r\n`,
      );
      await raw.closed;
      return raw.text();
    };
    for (const [path, headers] of [
      ["/nope", ""],
      ["/", "Sec-WebSocket-Protocol: conduit.v1\r\n"],
      ["/agent/completions", "Sec-WebSocket-Protocol: other.v9\r\n"],
      ["/agent/completions", "Authorization: Bearer key-three\r\nSec-WebSocket-Protocol: conduit.v1\r\n"],
    ] as const) {
      const text = await upgrade(path, headers);
      expect(text, `${path} ${headers}`).toMatch(/^HTTP\/1\.1 401 /);
      expect(text).toMatch(/\r\nWWW-Authenticate: Bearer/i);
      expect(text).toContain('{"error":{"code":401,"message":"missing or invalid bearer key"}}');
    }
    // With the key, the path and the subprotocol are checked as before.
    expect(await upgrade("/nope", "Authorization: Bearer key-one\r\n")).toMatch(/^HTTP\/1\.1 404 /);
    expect(
      await upgrade("/agent/completions", "Authorization: Bearer key-one\r\nSec-WebSocket-Protocol: other.v9\r\n"),
    ).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("never logs a key", () => {
    expect(api().stdout.text()).not.toContain("key-one");
    expect(api().stdout.text()).not.toContain("key-two");
  });
});
