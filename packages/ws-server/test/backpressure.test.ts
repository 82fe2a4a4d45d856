import { afterEach, describe, expect, it, vi } from "vitest";
import { OBJECTIVEAI_MCP } from "@conduit/protocol";
import { chunk, connectWithBody, isSettled, startHarness, closeOpened } from "./helpers.js";

afterEach(closeOpened);

const HIGH_WATER_MARK = 64 * 1024;
const BIG = "x".repeat(256 * 1024);
const MAX_SENDS = 400; // 100 MiB: far past any loopback socket buffer

async function fillUntilBlocked(
  send: (i: number) => Promise<boolean>,
): Promise<{ sent: number; blocked: Promise<boolean> }> {
  for (let i = 0; i < MAX_SENDS; i += 1) {
    const result = send(i);
    // The writer holds a turn's frames until the turn ends (one write for all): let it hand them
    // to the kernel, so a send that still waits waits for a client that does not read.
    await new Promise((resolve) => setImmediate(resolve));
    if (!(await isSettled(result))) return { sent: i + 1, blocked: result };
    expect(await result).toBe(true);
  }
  throw new Error("send() never waited");
}

describe("backpressure", () => {
  it("stops resolving send() past highWaterMark and resumes when the client reads", async () => {
    const harness = await startHarness({ conduit: { highWaterMark: HIGH_WATER_MARK } });
    const { client, server } = await connectWithBody(harness);
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

  it("wakes a waiting send() when a large server_request was written behind its chunk", async () => {
    const harness = await startHarness({ conduit: { highWaterMark: HIGH_WATER_MARK, timeoutMs: 600_000 } });
    const { client, server } = await connectWithBody(harness);
    client.ws.pause();
    const { sent, blocked } = await fillUntilBlocked((i) => server.attached.send(chunk("resp_bp", 0, `${i}:${BIG}`)));
    // A control frame bigger than the mark, queued behind the chunk that is waiting.
    const answer = server.attached.channel.request({
      mcp: OBJECTIVEAI_MCP,
      method: "tools/call",
      params: { blob: BIG.repeat(32) },
      headers: {},
    });
    client.ws.resume();
    const skipped: Array<Record<string, unknown>> = [];
    const request = await client.nextOfType("server_request", skipped);
    expect(skipped).toHaveLength(sent);
    await vi.waitFor(() => expect(server.ws.bufferedAmount).toBe(0), { timeout: 10_000 });
    expect(await isSettled(blocked)).toBe(true);
    expect(await blocked).toBe(true);
    client.sendJson({ type: "server_response", id: request.id, result: {} });
    await expect(answer).resolves.toMatchObject({ result: {} });
  });

  it("resolves a waiting send() with false when the socket dies", async () => {
    const harness = await startHarness({ conduit: { highWaterMark: HIGH_WATER_MARK } });
    const { client, server } = await connectWithBody(harness);
    client.ws.pause();
    const { blocked } = await fillUntilBlocked((i) => server.attached.send(chunk("resp_bp", 0, `${i}:${BIG}`)));
    client.terminate();
    expect(await blocked).toBe(false);
    expect((await server.attached.closed).code).toBe(1006);
  });
});

describe("a client that floods requests and never reads", () => {
  it("stops reading its frames while its answers pile up past highWaterMark, and answers every one once it reads", async () => {
    const FLOOD = 40_000;
    const harness = await startHarness({
      // Unknown methods are invalid frames: a budget above the flood keeps this about backpressure.
      conduit: { highWaterMark: HIGH_WATER_MARK, maxInvalidFrames: FLOOD },
    });
    const { client, server } = await connectWithBody(harness);
    client.ws.pause();
    // Each unknown-method request is answered -32601, echoing its 256-character id.
    const id = (i: number) => `${i}:`.padEnd(256, "x");
    for (let i = 0; i < FLOOD; i += 1) client.ws.send(`{"type":"client_request","id":"${id(i)}","method":"x"}`);
    await vi.waitFor(() => expect(server.ws.isPaused).toBe(true), { timeout: 20_000 });
    expect(server.ws.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_MARK + 512 * 1024);

    client.ws.resume();
    for (let i = 0; i < FLOOD; i += 1)
      expect(await client.next()).toMatchObject({ type: "client_response", id: id(i) });
    expect(server.ws.readyState).toBe(server.ws.OPEN);
  });
});
