import { afterEach, describe, expect, it } from "vitest";
import { chunk, connectWithBody, startHarness, closeOpened } from "./helpers.js";

afterEach(closeOpened);

async function setup() {
  const harness = await startHarness();
  const connected = await connectWithBody(harness);
  return connected;
}

describe("AttachedSocket.send / finish / fail", () => {
  it("records the chunk id in the tracker before the frame is written", async () => {
    const { server } = await setup();
    const { attached, ws } = server;
    let seenAtWrite: boolean | undefined;
    const send = ws.send.bind(ws);
    ws.send = ((...args: Parameters<typeof ws.send>) => {
      seenAtWrite ??= attached.tracker.has("resp_a");
      return send(...args);
    }) as typeof ws.send;
    expect(attached.tracker.has("resp_a")).toBe(false);
    await attached.send(chunk("resp_a", 0, "hello"));
    expect(seenAtWrite).toBe(true);
  });

  it("delivers chunk frames in order", async () => {
    const { client, server } = await setup();
    const ids = ["resp_a", "resp_b"];
    for (let i = 0; i < 100; i += 1) {
      expect(await server.attached.send(chunk(ids[i % 2] ?? "resp_a", i % 2, `part ${i}`))).toBe(true);
    }
    for (let i = 0; i < 100; i += 1) {
      expect(await client.next()).toEqual({ type: "chunk", data: chunk(ids[i % 2] ?? "resp_a", i % 2, `part ${i}`) });
    }
    expect(server.attached.tracker.has("resp_a") && server.attached.tracker.has("resp_b")).toBe(true);
  });

  it("finish() closes 1000 behind every chunk already sent", async () => {
    const { client, server } = await setup();
    void server.attached.send(chunk("resp_a", 0, "one"));
    void server.attached.send(chunk("resp_a", 0, "two"));
    await server.attached.finish();
    expect(await client.closed).toEqual({ code: 1000, reason: "" });
    expect(client.frames.length).toBe(2);
    expect(await server.attached.closed).toEqual({ code: 1000, reason: "" });
    expect(await server.attached.send(chunk("resp_a", 0, "late"))).toBe(false);
  });

  it("fail() sends an error frame, then closes 1011 (or the code given)", async () => {
    const { client, server } = await setup();
    await server.attached.send(chunk("resp_a", 0, "started"));
    const failed = server.attached.fail({ code: 500, message: "upstream exploded" });
    expect(await client.next()).toMatchObject({ type: "chunk" });
    expect(await client.next()).toEqual({ type: "error", error: { code: 500, message: "upstream exploded" } });
    expect(await client.closed).toEqual({ code: 1011, reason: "upstream exploded" });
    await failed;
    expect(server.attached.signal.aborted).toBe(true);
  });

  it("fail() cuts a long message to a valid close reason", async () => {
    const { client, server } = await setup();
    const message = "é".repeat(200);
    void server.attached.fail({ code: 429, message }, 1008);
    expect(await client.next()).toEqual({ type: "error", error: { code: 429, message } });
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(message.startsWith(closed.reason)).toBe(true);
  });

  it("resolves false once the client has gone", async () => {
    const { client, server } = await setup();
    client.ws.close(1000);
    await server.attached.closed;
    expect(await server.attached.send(chunk("resp_a", 0, "nobody listens"))).toBe(false);
  });

  it("rejects a chunk that cannot be encoded", async () => {
    const { server } = await setup();
    const bad = { ...chunk("resp_a", 0, "x"), extra: 10n };
    await expect(server.attached.send(bad)).rejects.toThrow(TypeError);
  });
});
