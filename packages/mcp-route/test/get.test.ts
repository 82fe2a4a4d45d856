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
    let opened = 0;
    let closed = 0;
    const { listener, responseId, listeners, attach } = await startHarness({
      observer: { sseOpened: () => opened++, sseClosed: () => closed++ },
    });
    const abort = new AbortController();
    const response = await fetch(`${listener.url}/acme/files/1.0.0/fs`, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(listeners.subscriberCount(responseId, FS)).toBe(1);
    expect(opened).toBe(1);

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
    await vi.waitFor(() => expect(closed).toBe(1));
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

  it("a throwing observer does not take the stream down", async () => {
    const boom = (): void => {
      throw new Error("metrics broke");
    };
    const { endpoint, responseId, listeners } = await startHarness({ observer: { sseOpened: boom, sseClosed: boom } });
    const abort = new AbortController();
    const response = await fetch(endpoint, {
      headers: { accept: "text/event-stream", "x-objectiveai-response-id": responseId },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    listeners.publish(responseId, OBJECTIVEAI, "resources");
    expect(await new EventReader(response.body).next()).toBe(
      'data: {"jsonrpc":"2.0","method":"notifications/resources/list_changed"}',
    );
    abort.abort();
    await vi.waitFor(() => expect(listeners.keyCount).toBe(0));
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
