import type { McpKind } from "@conduit/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { closeHarnesses, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

const OBJECTIVEAI = "objectiveai" as McpKind;
const FS = "acme/files/1.0.0/fs" as McpKind;

/** Reads an SSE body event by event (blank-line terminated), keeping any partial tail. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = "";

  constructor(body: ReadableStream<Uint8Array> | null) {
    if (body === null) throw new Error("no body");
    this.#reader = body.getReader();
  }

  async next(): Promise<string> {
    for (;;) {
      const end = this.#text.indexOf("\n\n");
      if (end !== -1) {
        const event = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        return event;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("stream ended");
      this.#text += this.#decoder.decode(value, { stream: true });
    }
  }
}

describe("GET notifications stream", () => {
  it("delivers list_changed in the §5 envelope and unsubscribes when the client goes away", async () => {
    const { listener, responseId, listeners, attach } = await startHarness();
    const abort = new AbortController();
    const response = await fetch(`${listener.url}/acme/files/1.0.0/fs`, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(listeners.subscriberCount(responseId, FS)).toBe(1);

    // Another mcp's signal does not reach this stream; this mcp's do, in order.
    expect(listeners.publish(responseId, OBJECTIVEAI, "tools")).toBe(0);
    expect(listeners.publish(responseId, FS, "tools")).toBe(1);
    const events = new EventReader(response.body);
    expect(await events.next()).toBe('data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}');
    listeners.publish(responseId, FS, "prompts");
    listeners.publish(responseId, FS, "resources");
    expect(await events.next()).toBe('data: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}');
    expect(await events.next()).toBe('data: {"jsonrpc":"2.0","method":"notifications/prompts/list_changed"}');

    abort.abort();
    await vi.waitFor(() => expect(listeners.keyCount).toBe(0));
    await vi.waitFor(() => expect(listeners.subscriberCount(responseId, FS)).toBe(0));
    expect(attach.frames).toHaveLength(0);
  });

  it("406 without text/event-stream in Accept", async () => {
    const { endpoint, responseId, listeners } = await startHarness();
    const response = await fetch(endpoint, {
      headers: { accept: "application/json", "x-objectiveai-response-id": responseId },
    });
    expect(response.status).toBe(406);
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    expect(listeners.subscriberCount()).toBe(0);
  });

  it("406 when Accept refuses text/event-stream with q=0, even next to a wildcard", async () => {
    const { endpoint, responseId, listeners } = await startHarness();
    for (const accept of ["text/event-stream;q=0, */*", "text/*;q=0, */*"]) {
      const response = await fetch(endpoint, { headers: { accept, "x-objectiveai-response-id": responseId } });
      expect(response.status, accept).toBe(406);
      expect(await response.json()).toMatchObject({ error: { code: -32600 } });
    }
    expect(listeners.subscriberCount()).toBe(0);
  });

  it("400 / 404 for a missing or unknown response id", async () => {
    const { endpoint, listeners } = await startHarness();
    expect((await fetch(endpoint, { headers: { accept: "text/event-stream" } })).status).toBe(400);
    const unknown = await fetch(endpoint, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": "resp_x" },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: -32001 } });
    expect(listeners.subscriberCount()).toBe(0);
  });

  it("429 -32005 past the per-id subscriber limit", async () => {
    const { endpoint, responseId, listeners } = await startHarness({ maxSubscribersPerId: 1 });
    const abort = new AbortController();
    const headers = { accept: "text/event-stream", "x-objectiveai-response-id": responseId };
    const first = await fetch(endpoint, { headers, signal: abort.signal });
    expect(first.status).toBe(200);
    const second = await fetch(endpoint, { headers });
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32005 } });
    expect(listeners.subscriberCount(responseId)).toBe(1);
    abort.abort();
    await vi.waitFor(() => expect(listeners.keyCount).toBe(0));
  });

  it("ends the stream when the response id is released (closeAll)", async () => {
    const { endpoint, responseId, listeners } = await startHarness();
    const response = await fetch(endpoint, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId },
    });
    expect(response.status).toBe(200);
    expect(listeners.closeAll(responseId)).toBe(1);
    expect(await response.text()).toBe("");
  });

  it("writes a keepalive comment at the configured period", async () => {
    const { endpoint, responseId } = await startHarness({ keepaliveMs: 20 });
    const abort = new AbortController();
    const response = await fetch(endpoint, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId },
      signal: abort.signal,
    });
    expect(await new EventReader(response.body).next()).toBe(": keepalive");
    abort.abort();
  });
});

describe("GET stream messages and Last-Event-ID", () => {
  async function open(
    url: string,
    responseId: string,
    headers: Record<string, string> = {},
  ): Promise<{ events: EventReader; abort: AbortController }> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId, ...headers },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    return { events: new EventReader(response.body), abort };
  }

  function message(n: number): string {
    return JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { n } });
  }

  function parse(event: string): { id: string | undefined; data: string | undefined } {
    const lines = event.split("\n");
    return {
      id: lines.find((line) => line.startsWith("id: "))?.slice(4),
      data: lines.find((line) => line.startsWith("data: "))?.slice(6),
    };
  }

  it("carries ids; a reconnect with Last-Event-ID gets exactly what it missed, in its own scope only", async () => {
    const { listener, responseId, listeners, registry, attach } = await startHarness();
    const url = `${listener.url}/objectiveai`;
    const first = await open(url, responseId, { "mcp-session-id": "s-1" });
    await vi.waitFor(() => expect(listeners.subscriberCount(responseId, OBJECTIVEAI)).toBe(1));
    expect(listeners.deliver(responseId, OBJECTIVEAI, "s-1", message(1))).toBe(true);
    const seen = parse(await first.events.next());
    expect(seen.data).toBe(message(1));
    expect(seen.id).toMatch(/^[A-Za-z0-9_-]+\.1$/);

    // The client drops; two messages are written into the replay store meanwhile (no stream takes them).
    first.abort.abort();
    await vi.waitFor(() => expect(listeners.subscriberCount(responseId, OBJECTIVEAI)).toBe(0));
    const streamId = (seen.id ?? "").split(".")[0] ?? "";
    listeners.replay.append(responseId, OBJECTIVEAI, "s-1", streamId, message(2));
    listeners.replay.append(responseId, OBJECTIVEAI, "s-1", streamId, message(3));

    // Another agent on the same socket presenting that event id gets nothing replayed.
    const other = "resp_other_agent_0123456789abcdef";
    registry.register(other, attach.channel);
    const stranger = await open(url, other, { "mcp-session-id": "s-1", "last-event-id": seen.id ?? "" });
    expect(listeners.deliver(other, OBJECTIVEAI, "s-1", message(99))).toBe(true);
    expect(parse(await stranger.events.next()).data).toBe(message(99));
    stranger.abort.abort();

    // The same agent and session resumes: 2 and 3, then live traffic on the same stream id.
    const again = await open(url, responseId, { "mcp-session-id": "s-1", "last-event-id": seen.id ?? "" });
    expect(parse(await again.events.next())).toEqual({ id: `${streamId}.2`, data: message(2) });
    expect(parse(await again.events.next())).toEqual({ id: `${streamId}.3`, data: message(3) });
    await vi.waitFor(() => expect(listeners.subscriberCount(responseId, OBJECTIVEAI)).toBe(1));
    listeners.deliver(responseId, OBJECTIVEAI, "s-1", message(4));
    expect(parse(await again.events.next())).toEqual({ id: `${streamId}.4`, data: message(4) });
    again.abort.abort();

    // Released: the store forgets the id.
    listeners.closeAll(responseId);
    expect(listeners.replay.chars(responseId)).toBe(0);
  });
});
