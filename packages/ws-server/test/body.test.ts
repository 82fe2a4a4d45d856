import { afterEach, describe, expect, it } from "vitest";
import { MOCK_BODY, TestClient, requestBodyValidator, startHarness, closeOpened } from "./helpers.js";

afterEach(closeOpened);

async function setup(options: Parameters<typeof startHarness>[0] = {}) {
  const harness = await startHarness(options);
  const client = await TestClient.open(harness.url);
  const server = await harness.accepted.next();
  return { harness, client, server };
}

describe("body frame", () => {
  it("reads and validates the first text frame", async () => {
    const { client, server } = await setup();
    client.sendJson({ ...MOCK_BODY, n: 3 });
    const body = await server.attached.readBody(requestBodyValidator);
    expect(body).toEqual({
      ok: true,
      value: expect.objectContaining({ n: 3, stream: true, max_turns: 8, agent: MOCK_BODY.agent }),
    });
    expect(server.ws.readyState).toBe(server.ws.OPEN);
  });

  it("keeps a body that arrived before readBody was called", async () => {
    const { client, server } = await setup();
    client.sendJson(MOCK_BODY);
    // A round trip proves the server has received the body frame already.
    const pong = new Promise<void>((resolve) => client.ws.once("pong", () => resolve()));
    client.ws.ping();
    await pong;
    const body = await server.attached.readBody(requestBodyValidator);
    expect(body.ok).toBe(true);
  });

  const refusals: Array<[string, (client: TestClient) => void, RegExp]> = [
    ["a binary first frame", (client) => client.ws.send(Buffer.from("{}")), /text frame/],
    ["invalid JSON", (client) => client.ws.send("{not json"), /not valid JSON/],
    ["a body failing validation", (client) => client.sendJson({ agent: { upstream: "nope" } }), /invalid request body/],
  ];

  for (const [name, sendBody, message] of refusals) {
    it(`answers ${name} with one 400 error frame, then close 1003`, async () => {
      const { client, server } = await setup();
      sendBody(client);
      const body = await server.attached.readBody(requestBodyValidator);
      expect(body).toEqual({ ok: false });
      const frame = await client.next();
      expect(frame).toMatchObject({ type: "error", error: { code: 400 } });
      expect(String((frame.error as { message: string }).message)).toMatch(message);
      expect((await client.closed).code).toBe(1003);
      expect(client.frames.length).toBe(0);
      expect((await server.attached.closed).code).toBe(1003);
    });
  }

  it("answers 408 and closes 1008 when no body arrives within bodyTimeoutMs", async () => {
    const { client, server } = await setup({ conduit: { bodyTimeoutMs: 50 } });
    const body = server.attached.readBody(requestBodyValidator);
    expect(await client.next()).toMatchObject({ type: "error", error: { code: 408 } });
    expect((await client.closed).code).toBe(1008);
    expect(await body).toEqual({ ok: false });
    expect(server.attached.signal.aborted).toBe(true);
  });

  it("resolves { ok: false } when the socket closes before a body", async () => {
    const { client, server } = await setup();
    const body = server.attached.readBody(requestBodyValidator);
    client.ws.close(1000);
    expect(await body).toEqual({ ok: false });
    expect((await server.attached.closed).code).toBe(1000);
  });

  it("closes 1009 when a frame exceeds maxPayload", async () => {
    const { client, server } = await setup({ upgrade: { maxPayload: 1024 } });
    const body = server.attached.readBody(requestBodyValidator);
    client.ws.send("x".repeat(2048));
    expect((await client.closed).code).toBe(1009);
    expect(await body).toEqual({ ok: false });
    expect((await server.attached.closed).code).toBe(1009);
  });

  it("refuses a second readBody call", async () => {
    const { client, server } = await setup();
    client.sendJson(MOCK_BODY);
    expect((await server.attached.readBody(requestBodyValidator)).ok).toBe(true);
    await expect(server.attached.readBody(requestBodyValidator)).rejects.toThrow(/once/);
  });
});
