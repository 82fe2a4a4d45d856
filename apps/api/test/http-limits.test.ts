import { once } from "node:events";
import { request, type IncomingMessage } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Chunk } from "@conduit/protocol";
import {
  DECLARE_EVERYTHING,
  chunkOf,
  cleanup,
  dribblePost,
  mockBody,
  openRaw,
  openRawSocket,
  sseData,
  startApi,
  type Api,
  type RawConnection,
} from "./helpers.js";

afterEach(async () => {
  await cleanup(running);
});

afterAll(async () => {
  await cleanup();
});

const running: Api[] = [];

/** /metrics over a fresh connection; throws when the connection was refused (for vi.waitFor to retry). */
async function metricsOver(port: number): Promise<string> {
  const raw = await openRaw(port);
  if (!raw.socket.destroyed) raw.socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  await raw.closed;
  if (!raw.text().startsWith("HTTP/1.1 200")) throw new Error("the /metrics connection was refused");
  return raw.text();
}

/** The count of conduit_connections_dropped_total for one listener (0 when absent). */
function dropped(metrics: string, listener: string): number {
  const match = new RegExp(`^conduit_connections_dropped_total\\{listener="${listener}"\\} (\\d+)$`, "m").exec(metrics);
  return Number(match?.[1] ?? 0);
}

describe("header, body and keep-alive timeouts (HTTP_*_TIMEOUT_MS)", () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ HTTP_REQUEST_TIMEOUT_MS: "300", HTTP_KEEP_ALIVE_TIMEOUT_MS: "200" });
    running.push(api);
  });

  it("cuts a POST body dribbled past HTTP_REQUEST_TIMEOUT_MS with 408 and closes the connection", async () => {
    const raw = await dribblePost(api.port, "/agent/completions");
    await raw.closed;
    expect(raw.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(raw.text()).toContain('{"error":{"code":408,');
  });

  it("cuts an idle new connection (no header byte) after the headers timeout", async () => {
    const raw = await openRaw(api.port);
    await raw.closed;
    expect(raw.text()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS", async () => {
    const raw = await openRaw(api.port);
    raw.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await raw.received(/\{"status":"ok"\}/);
    await raw.closed;
    expect(raw.text()).not.toMatch(/connection: close/i);
  });

  it("cuts a body dribbled to the MCP listener too, but never a WebSocket or a streaming response", async () => {
    // A WebSocket whose agent waits for a notify, and an SSE POST whose client does not read (the
    // server waits on backpressure): both are open before the dribbled requests start.
    const socket = await openRawSocket(
      api.wsUrl,
      // Declared: the route serves only the mcps the body declares (and reads no body for others).
      JSON.stringify(
        mockBody([{ content: "ready" }, { await_notification: 600_000 }, { content: "after" }], DECLARE_EVERYTHING),
      ),
    );
    const ready = chunkOf(
      await socket.waitForFrame((frame) => chunkOf(frame)?.delta !== undefined, "the first chunk"),
    )!;
    // 12 MiB of answer from a 256 KiB body: the upload must fit HTTP_REQUEST_TIMEOUT_MS even on a loaded machine.
    const content = "x".repeat(256 * 1024);
    const agents = 48;
    const sse = request(`${api.baseUrl}/agent/completions`, { method: "POST", agent: false });
    sse.on("error", () => undefined);
    sse.end(JSON.stringify(mockBody([{ content }], { n: agents, stream: true })));
    const [res] = (await once(sse, "response")) as [IncomingMessage];
    expect(res.statusCode).toBe(200);

    const publicCut = await dribblePost(api.port, "/agent/completions");
    const mcpCut = await dribblePost(api.mcpPort, "/objectiveai", {
      Accept: "application/json, text/event-stream",
      "X-OBJECTIVEAI-RESPONSE-ID": ready.id,
    });
    await Promise.all([publicCut.closed, mcpCut.closed]);
    expect(publicCut.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(mcpCut.text()).toMatch(/^HTTP\/1\.1 408 /);

    // The SSE swarm is still running: its agents wait for the client to read.
    const metrics = await (await fetch(`${api.baseUrl}/metrics`, { headers: { connection: "close" } })).text();
    expect(Number(/^conduit_agents_running (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(1);

    // The WebSocket still works end to end.
    socket.send({
      type: "client_request",
      id: "n1",
      method: "agent_completion_notify",
      params: { response_id: ready.id, content: "still here" },
    });
    expect(await socket.closed).toEqual({ code: 1000, reason: "" });
    const chunks = socket.frames.map(chunkOf).filter((chunk): chunk is Chunk => chunk !== undefined);
    expect(chunks.filter((chunk) => chunk.notification).map((chunk) => chunk.notification!.content)).toEqual([
      "still here",
    ]);
    expect(chunks.map((chunk) => chunk.delta?.content ?? "").join("")).toBe("readyafter");

    // The SSE response arrives whole once read.
    res.setEncoding("utf8");
    let text = "";
    for await (const part of res) text += part as string;
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    const sseChunks = data.slice(0, -1).map((line) => JSON.parse(line) as Chunk);
    expect(sseChunks.filter((chunk) => chunk.finish_reason === "stop")).toHaveLength(agents);
    expect(sseChunks.map((chunk) => chunk.delta?.content ?? "").join("").length).toBe(agents * content.length);
  });
});

describe("connection caps (MAX_CONNECTIONS, MCP_MAX_CONNECTIONS)", () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ MAX_CONNECTIONS: "3", MCP_MAX_CONNECTIONS: "2", HTTP_KEEP_ALIVE_TIMEOUT_MS: "600000" });
    running.push(api);
  });

  const HEALTH = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  async function answered(port: number, text: string): Promise<RawConnection> {
    const raw = await openRaw(port);
    raw.socket.write(text);
    await raw.received(/^HTTP\/1\.1 \d{3} [\s\S]*\r\n\r\n/);
    return raw;
  }

  async function refused(port: number, text: string): Promise<void> {
    const raw = await openRaw(port);
    if (!raw.socket.destroyed) raw.socket.write(text);
    await raw.closed;
    expect(raw.text()).toBe("");
  }

  it("public listener: N connections (a WebSocket among them) are served, N+1 is closed unanswered", async () => {
    const socket = await openRawSocket(
      api.wsUrl,
      JSON.stringify(mockBody([{ content: "ready" }, { await_notification: 600_000 }])),
    );
    await socket.waitForFrame((frame) => chunkOf(frame) !== undefined, "the first chunk");
    const held = [await answered(api.port, HEALTH), await answered(api.port, HEALTH)];
    await refused(api.port, HEALTH);

    socket.ws.terminate();
    await socket.closed;
    const again = await vi.waitFor(() => answered(api.port, HEALTH), { timeout: 10_000, interval: 20 });
    again.socket.destroy();
    await again.closed;
    // At least the refused one (a retry above may have come before the server saw the close).
    const metrics = await vi.waitFor(() => metricsOver(api.port), { timeout: 10_000, interval: 20 });
    expect(dropped(metrics, "public")).toBeGreaterThanOrEqual(1);
    for (const raw of held) expect(raw.socket.destroyed).toBe(false);
    const warned = await api.stdout.waitFor(
      (line) => line.includes('"msg":"connections refused: MAX_CONNECTIONS reached"'),
      "the refused-connections warning",
    );
    expect(JSON.parse(warned)).toMatchObject({ level: 40, listener: "public", maxConnections: 3 });
  });

  it("MCP listener: N connections are served, N+1 is closed unanswered", async () => {
    const request = "DELETE /objectiveai HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const held = [await answered(api.mcpPort, request), await answered(api.mcpPort, request)];
    await refused(api.mcpPort, request);
    held[0]!.socket.destroy();
    await vi.waitFor(() => answered(api.mcpPort, request), { timeout: 10_000, interval: 20 });
    const metrics = await vi.waitFor(() => metricsOver(api.port), { timeout: 10_000, interval: 20 });
    expect(dropped(metrics, "mcp")).toBeGreaterThanOrEqual(1);
  });
});
