import { describe, expect, it } from "vitest";
import { mockBody, openRawSocket, upgradeStatus, useSharedApi } from "./helpers.js";

const api = useSharedApi({
  MAX_SWARM: "4",
  MAX_IDS_PER_SOCKET: "2",
  WS_MAX_FRAME_BYTES: "8192",
  MAX_INVALID_FRAMES: "3",
  INVALID_FRAME_WINDOW_MS: "600000",
});

const isError = (frame: Record<string, unknown>): boolean => frame.type === "error";

describe("WebSocket body frame and limits", () => {
  it("keeps a socket through MAX_INVALID_FRAMES junk frames and closes it 1008 (error 429) at the next", async () => {
    const socket = await openRawSocket(
      api().wsUrl,
      JSON.stringify(mockBody([{ content: "ready" }, { await_notification: 600_000 }])),
    );
    await socket.waitForFrame((frame) => frame.type === "chunk", "the first chunk");
    for (let i = 0; i < 3; i++) socket.ws.send(`junk ${i}`);
    // Still open: a valid client_request is answered (an id this stream never named: 404).
    socket.send({
      type: "client_request",
      id: "n1",
      method: "agent_completion_notify",
      params: { response_id: "x", content: "y" },
    });
    expect(await socket.waitForFrame((frame) => frame.type === "client_response", "the answer")).toMatchObject({
      id: "n1",
      error: { code: 404 },
    });
    socket.ws.send("junk 4");
    expect(await socket.waitForFrame(isError, "the error frame")).toMatchObject({ error: { code: 429 } });
    expect((await socket.closed).code).toBe(1008);
  });

  it("answers an invalid body with an error frame naming the field, then close 1003", async () => {
    const socket = await openRawSocket(
      api().wsUrl,
      JSON.stringify({ agent: { upstream: "mock" }, messages: [{ role: "robot", content: "" }] }),
    );
    const frame = await socket.waitForFrame(isError, "the error frame");
    expect(frame).toMatchObject({ error: { code: 400 } });
    expect(JSON.stringify(frame)).toContain("messages.0.role");
    expect((await socket.closed).code).toBe(1003);
  });

  it("answers n > MAX_SWARM with an error frame and close 1003", async () => {
    const socket = await openRawSocket(api().wsUrl, JSON.stringify(mockBody([], { n: 5 })));
    const frame = await socket.waitForFrame(isError, "the error frame");
    expect(JSON.stringify(frame)).toContain("MAX_SWARM (4)");
    expect((await socket.closed).code).toBe(1003);
  });

  it("closes 1008 when a swarm needs more ids than MAX_IDS_PER_SOCKET, before any chunk", async () => {
    const socket = await openRawSocket(api().wsUrl, JSON.stringify(mockBody([{ content: "x" }], { n: 3 })));
    const frame = await socket.waitForFrame(isError, "the error frame");
    expect(frame).toMatchObject({ error: { code: 429 } });
    expect(JSON.stringify(frame)).toContain("MAX_IDS_PER_SOCKET");
    expect((await socket.closed).code).toBe(1008);
    expect(socket.frames.filter((item) => item.type === "chunk")).toHaveLength(0);
  });

  it("closes 1009 for a frame over WS_MAX_FRAME_BYTES and keeps serving others", async () => {
    const big = JSON.stringify(mockBody([{ content: "x".repeat(9000) }]));
    const socket = await openRawSocket(api().wsUrl, big);
    expect((await socket.closed).code).toBe(1009);

    const next = await openRawSocket(api().wsUrl, JSON.stringify(mockBody([{ content: "still here" }], { n: 2 })));
    expect(await next.closed).toEqual({ code: 1000, reason: "" });
    const finals = next.frames.filter(
      (frame) => frame.type === "chunk" && (frame.data as { finish_reason?: string }).finish_reason === "stop",
    );
    expect(finals).toHaveLength(2);
  });

  it("refuses an upgrade without the conduit.v1 subprotocol (400) and on other paths (404)", async () => {
    expect(await upgradeStatus(api().wsUrl, "other")).toBe(400);
    expect(await upgradeStatus(`ws://127.0.0.1:${api().port}/elsewhere`, "conduit.v1")).toBe(404);
  });

  it("refuses every browser Origin with 403 when ALLOWED_ORIGINS is unset", async () => {
    expect(await upgradeStatus(api().wsUrl, "conduit.v1", { origin: "https://evil.example" })).toBe(403);
    expect(await upgradeStatus(api().wsUrl, "conduit.v1", { origin: `http://127.0.0.1:${api().port}` })).toBe(403);
  });
});
