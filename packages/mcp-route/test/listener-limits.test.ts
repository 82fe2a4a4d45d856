import { connect, type Socket } from "node:net";
import { SseStreamRegistry } from "@conduit/listeners";
import type { McpKind } from "@conduit/protocol";
import { ReverseChannelRegistry } from "@conduit/registry";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMcpListener } from "../src/index.js";
import { POST_HEADERS, closeHarnesses, mcpUpstream, rpc, startHarness } from "./helpers.js";

const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();

afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers.clear();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await closeHarnesses();
});

/** A raw TCP connection that records what the server sends and when it closes. */
interface Raw {
  socket: Socket;
  text(): string;
  closed: Promise<void>;
  /** Resolves once the received text matches. */
  received(pattern: RegExp): Promise<string>;
}

async function openRaw(port: number): Promise<Raw> {
  const socket = connect(port, "127.0.0.1");
  sockets.add(socket);
  let text = "";
  const waiters = new Set<() => void>();
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
    for (const wake of [...waiters]) wake();
  });
  // A refused or cut connection may reset: that is an outcome, not a failure.
  socket.on("error", () => undefined);
  // Not events.once, which rejects on "error": a reset connection settles as closed.
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await Promise.race([new Promise<void>((resolve) => socket.once("connect", () => resolve())), closed]);
  return {
    socket,
    text: () => text,
    closed,
    received: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(text)) {
            waiters.delete(check);
            resolve(text);
          }
        };
        waiters.add(check);
        check();
        void closed.then(() => {
          if (waiters.delete(check)) reject(new Error(`closed before ${String(pattern)}; got ${JSON.stringify(text)}`));
        });
      }),
  };
}

/** Sends a POST's head and then its body one byte at a time, forever (until the server cuts it). */
async function dribble(port: number, responseId: string): Promise<Raw> {
  const raw = await openRaw(port);
  raw.socket.write(
    `POST /objectiveai HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${POST_HEADERS.accept}\r\n` +
      `X-OBJECTIVEAI-RESPONSE-ID: ${responseId}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
  );
  const timer = setInterval(() => {
    if (!raw.socket.destroyed) raw.socket.write(" ");
  }, 20);
  timers.add(timer);
  void raw.closed.then(() => clearInterval(timer));
  return raw;
}

const GET_HEALTH = "GET /objectiveai HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";

describe("listener limits", () => {
  it("validates every limit before binding", () => {
    const base = { registry: new ReverseChannelRegistry(), listeners: new SseStreamRegistry() };
    for (const bad of [
      { headersTimeoutMs: 0 },
      { requestTimeoutMs: 1.5 },
      { requestTimeoutMs: 2 ** 31 },
      { keepAliveTimeoutMs: -1 },
      { maxConnections: 0 },
      { headersTimeoutMs: 2000, requestTimeoutMs: 1000 },
    ]) {
      expect(() => createMcpListener({ ...base, ...bad })).toThrow(RangeError);
    }
  });

  it("cuts a body dribbled past requestTimeoutMs with 408 and closes the connection", async () => {
    const { listener, attach, responseId } = await startHarness({ requestTimeoutMs: 300 });
    expect(listener.server.requestTimeout).toBe(300);
    expect(listener.server.headersTimeout).toBe(300);
    const raw = await dribble(listener.port, responseId);
    await raw.closed;
    expect(raw.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(attach.frames).toHaveLength(0);
  });

  it("cuts headers dribbled past headersTimeoutMs with 408", async () => {
    const { listener } = await startHarness({ headersTimeoutMs: 200, requestTimeoutMs: 60_000 });
    const raw = await openRaw(listener.port);
    raw.socket.write("GET /objectiveai HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const timer = setInterval(() => {
      if (!raw.socket.destroyed) raw.socket.write("X-Slow: 1\r\n");
    }, 20);
    timers.add(timer);
    await raw.closed;
    expect(raw.text()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("never cuts a GET-SSE stream or a long-awaited POST answer: both outlive requestTimeoutMs", async () => {
    const { listener, responseId, listeners, attach } = await startHarness({
      requestTimeoutMs: 300,
      // tools/call is held until the test answers it.
      handler: (frame) => (frame.method === "tools/call" ? undefined : mcpUpstream(frame)),
    });
    const routing = { "x-objectiveai-response-id": responseId };
    const stream = await fetch(`${listener.url}/objectiveai`, { headers: { accept: "text/event-stream", ...routing } });
    expect(stream.status).toBe(200);
    const call = fetch(`${listener.url}/objectiveai`, {
      method: "POST",
      headers: { ...POST_HEADERS, ...routing },
      body: rpc("tools/call", { name: "echo", arguments: { text: "late" } }, 7),
    });
    call.catch(() => undefined); // awaited below; a failed test must not leave it unhandled
    const held = await attach.frame("tools/call");

    // A request begun after both was cut: both have been open longer than requestTimeoutMs since.
    const cut = await dribble(listener.port, responseId);
    await cut.closed;
    expect(cut.text()).toMatch(/^HTTP\/1\.1 408 /);

    expect(listeners.publish(responseId, "objectiveai" as McpKind, "tools")).toBe(1);
    const reader = stream.body!.getReader();
    let events = "";
    while (!events.includes("\n\n")) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      events += new TextDecoder().decode(value);
    }
    expect(events).toContain("notifications/tools/list_changed");
    await reader.cancel();

    expect(attach.answer(held, { result: { content: [{ type: "text", text: "late but whole" }] } })).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id: 7, result: { content: [{ text: "late but whole" }] } });
  });

  it("closes idle keep-alive connections after keepAliveTimeoutMs", async () => {
    const { listener } = await startHarness({ keepAliveTimeoutMs: 200 });
    expect(listener.server.keepAliveTimeout).toBe(200);
    const raw = await openRaw(listener.port);
    raw.socket.write("DELETE /objectiveai HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await raw.received(/^HTTP\/1\.1 \d{3} /);
    await raw.closed;
    expect(raw.text()).not.toMatch(/Connection: close/i);
  });

  it("accepts maxConnections connections and closes the next one unanswered, then accepts again once one closed", async () => {
    const { listener } = await startHarness({ maxConnections: 3, keepAliveTimeoutMs: 600_000 });
    expect(listener.server.maxConnections).toBe(3);
    const open: Raw[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = await openRaw(listener.port);
      raw.socket.write(GET_HEALTH);
      await raw.received(/^HTTP\/1\.1 \d{3} /);
      open.push(raw);
    }
    const refused = await openRaw(listener.port);
    if (!refused.socket.destroyed) refused.socket.write(GET_HEALTH);
    await refused.closed;
    expect(refused.text()).toBe("");

    open[0]!.socket.destroy();
    await vi.waitFor(
      async () => {
        const again = await openRaw(listener.port);
        if (!again.socket.destroyed) again.socket.write(GET_HEALTH);
        expect(await again.received(/^HTTP\/1\.1 \d{3} /)).toMatch(/^HTTP\/1\.1/);
      },
      { timeout: 10_000, interval: 20 },
    );
    for (const raw of open.slice(1)) expect(raw.socket.destroyed).toBe(false);
  });
});
