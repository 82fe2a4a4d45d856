import { describe, expect, it } from "vitest";
import { request } from "node:http";
import { DECLARE_EVERYTHING, ECHO, chunkOf, mockBody, openRawSocket, useSharedApi } from "./helpers.js";

const api = useSharedApi({
  MAX_PENDING_PER_CHANNEL: "1",
  REVERSE_CHANNEL_TIMEOUT_MS: "3000",
  MAX_SSE_SUBSCRIBERS_PER_ID: "1",
  HEARTBEAT_MS: "100",
  IDLE_TIMEOUT_MS: "500",
});

async function metricsText(): Promise<string> {
  return (await fetch(`${api().baseUrl}/metrics`)).text();
}

/** Opens a GET-SSE stream on the MCP listener and resolves with its status (the stream stays open). */
function openSse(responseId: string): Promise<{ status: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api().mcpUrl}/objectiveai`,
      { headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("reverse-channel limits seen by agents", () => {
  it("fails one agent with -32005 past MAX_PENDING_PER_CHANNEL and the other with -32003 after the timeout", async () => {
    // A client that declares an mcp but never answers a server_request.
    const socket = await openRawSocket(
      api().wsUrl,
      JSON.stringify(mockBody([ECHO("x")], { n: 2, ...DECLARE_EVERYTHING })),
    );
    const tooMany = await socket.waitForFrame(
      (frame) => chunkOf(frame)?.finish_reason === "error",
      "the first failed agent",
    );
    expect(chunkOf(tooMany)!.error).toMatchObject({ code: -32005 });
    expect(socket.frames.filter((frame) => frame.type === "server_request")).toHaveLength(1);
    expect(await metricsText()).toMatch(/^conduit_pending_requests 1$/m);

    expect(await socket.closed).toEqual({ code: 1000, reason: "" });
    const finals = socket.frames.map(chunkOf).filter((chunk) => chunk?.finish_reason);
    expect(finals.map((chunk) => Number(chunk?.error?.code)).sort((a, b) => a - b)).toEqual([-32005, -32003]);
    expect(finals.every((chunk) => chunk?.finish_reason === "error")).toBe(true);

    const metrics = await metricsText();
    expect(metrics).toMatch(/^conduit_timeouts_total 1$/m);
    expect(metrics).toMatch(/^conduit_forwarded_requests_total\{method="initialize",outcome="timeout"\} 1$/m);
    expect(metrics).toMatch(/^conduit_forwarded_requests_total\{method="initialize",outcome="too_many"\} 1$/m);
    expect(metrics).toMatch(/^conduit_pending_requests 0$/m);
  });

  it("refuses a GET-SSE stream past MAX_SSE_SUBSCRIBERS_PER_ID", async () => {
    const socket = await openRawSocket(
      api().wsUrl,
      // Declared: the route serves only the mcps the body declares.
      JSON.stringify(mockBody([{ content: "ready" }, { await_notification: 60_000 }], DECLARE_EVERYTHING)),
    );
    const first = chunkOf(await socket.waitForFrame((frame) => chunkOf(frame) !== undefined, "the first chunk"))!;
    const stream = await openSse(first.id);
    expect(stream.status).toBe(200);
    expect(await metricsText()).toMatch(/^conduit_sse_subscribers 1$/m);
    const refused = await openSse(first.id);
    expect(refused.status).toBe(429);
    stream.close();
    socket.ws.close(1000);
    await socket.closed;
  });

  it("ends a socket that stops answering pings after IDLE_TIMEOUT_MS and cancels its agents", async () => {
    const socket = await openRawSocket(
      api().wsUrl,
      JSON.stringify(mockBody([{ content: "ready" }, { await_notification: 60_000 }])),
      { autoPong: false },
    );
    await socket.waitForFrame((frame) => chunkOf(frame) !== undefined, "the first chunk");
    expect((await socket.closed).code).toBe(1006);
    // The server released the socket: nothing is registered or running any more.
    const metrics = await metricsText();
    expect(metrics).toMatch(/^conduit_open_sockets 0$/m);
    expect(metrics).toMatch(/^conduit_registered_ids 0$/m);
    expect(metrics).toMatch(/^conduit_agents_running 0$/m);
  });
});
