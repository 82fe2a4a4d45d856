import { afterEach, describe, expect, it } from "vitest";
import { chunk, connectWithBody, isSettled, startHarness, type Harness, type TestClient } from "./helpers.js";

let harness: Harness | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await harness?.close();
  harness = undefined;
});

const HIGH_WATER_MARK = 64 * 1024;
const BIG = "x".repeat(256 * 1024);
const MAX_SENDS = 400; // 100 MiB: far past any loopback socket buffer

async function fillUntilBlocked(
  send: (i: number) => Promise<boolean>,
): Promise<{ sent: number; blocked: Promise<boolean> }> {
  for (let i = 0; i < MAX_SENDS; i += 1) {
    const result = send(i);
    if (!(await isSettled(result))) return { sent: i + 1, blocked: result };
    expect(await result).toBe(true);
  }
  throw new Error("send() never waited");
}

describe("backpressure", () => {
  it("stops resolving send() past highWaterMark and resumes when the client reads", async () => {
    harness = await startHarness({ conduit: { highWaterMark: HIGH_WATER_MARK } });
    const { client, server } = await connectWithBody(harness);
    clients.push(client);
    client.ws.pause();

    const { sent, blocked } = await fillUntilBlocked((i) => server.attached.send(chunk("resp_bp", 0, `${i}:${BIG}`)));
    expect(server.ws.bufferedAmount).toBeGreaterThan(HIGH_WATER_MARK);
    // More sends while the buffer is full wait too.
    const more = server.attached.send(chunk("resp_bp", 0, `${sent}:${BIG}`));
    expect(await isSettled(blocked)).toBe(false);
    expect(await isSettled(more)).toBe(false);

    client.ws.resume();
    expect(await blocked).toBe(true);
    expect(await more).toBe(true);
    for (let i = 0; i <= sent; i += 1) {
      const frame = await client.next();
      const data = frame.data as { delta: { content: string } };
      expect(data.delta.content.startsWith(`${i}:`)).toBe(true);
    }
    expect(server.ws.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_MARK);
  });

  it("resolves a waiting send() with false when the socket dies", async () => {
    harness = await startHarness({ conduit: { highWaterMark: HIGH_WATER_MARK } });
    const { client, server } = await connectWithBody(harness);
    clients.push(client);
    client.ws.pause();
    const { blocked } = await fillUntilBlocked((i) => server.attached.send(chunk("resp_bp", 0, `${i}:${BIG}`)));
    client.terminate();
    expect(await blocked).toBe(false);
    expect((await server.attached.closed).code).toBe(1006);
  });
});
