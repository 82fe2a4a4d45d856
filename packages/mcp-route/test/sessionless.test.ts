// MCP 2026-07-28 through the route: sessionless requests, `subscriptions/listen`
// kept open past the silence timeout (bounded by maxListenMs), the
// subscription id restamped with the agent's own request id, and cancel by
// closing the stream only.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMcpRoute } from "../src/index.js";
import { POST_HEADERS, closeHarnesses, post, rpc, sseMessages, startHarness } from "./helpers.js";
import { SseStreamRegistry } from "@conduit/listeners";
import { ReverseChannelRegistry } from "@conduit/registry";

afterEach(closeHarnesses);

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const MODERN = { "mcp-protocol-version": "2026-07-28" };
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "agent", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

function listen(id: string | number): string {
  return rpc("subscriptions/listen", { _meta: ENVELOPE, notifications: { toolsListChanged: true } }, id);
}

/** Reads an SSE body until `done(text so far)` holds; the reader stays usable. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

describe("subscriptions/listen", () => {
  it("outlives the silence timeout, carries its notifications with the agent's subscription id, ends gracefully", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, timeoutMs: 1 });
    const streaming = fetch(endpoint, {
      method: "POST",
      headers: { ...POST_HEADERS, ...MODERN, "x-objectiveai-response-id": responseId },
      body: listen("listen:0"),
    });
    const frame = await attach.frame("subscriptions/listen");
    // The attach client relates by the id the upstream saw (its own, 41); the agent must see its own.
    const ack = {
      jsonrpc: "2.0" as const,
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: 41 } },
    };
    expect(attach.channel.deliverMessage(frame.id, ack)).toBe(true);
    const response = await streaming;
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();

    // A plain request with the same 1 ms silence limit times out: the listen has outlived it.
    const timedOut = await post(endpoint, responseId, rpc("tools/list", { _meta: ENVELOPE }, 2), MODERN);
    expect(timedOut.status).toBe(504);
    expect(attach.channel.pending.has(frame.id)).toBe(true);

    const changed = {
      jsonrpc: "2.0" as const,
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: 41 } },
    };
    expect(attach.channel.deliverMessage(frame.id, changed)).toBe(true);
    attach.answer(frame, { result: { resultType: "complete", _meta: { [SUBSCRIPTION_ID]: 41 } } });
    const text = await readUntil(reader, () => false);
    expect(sseMessages(text)).toEqual([
      { ...ack, params: { ...ack.params, _meta: { [SUBSCRIPTION_ID]: "listen:0" } } },
      { ...changed, params: { _meta: { [SUBSCRIPTION_ID]: "listen:0" } } },
      { jsonrpc: "2.0", id: "listen:0", result: { resultType: "complete", _meta: { [SUBSCRIPTION_ID]: "listen:0" } } },
    ]);
  });

  it("is bounded by maxListenMs", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, maxListenMs: 1 });
    const answered = await post(endpoint, responseId, listen(7), MODERN);
    expect(answered.status).toBe(504);
    expect(answered.json).toMatchObject({ id: 7, error: { code: -32003 } });
    expect(attach.channel.pending.size).toBe(0);
  });

  it("gets keepalive comments once it streams", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, keepaliveMs: 1 });
    const controller = new AbortController();
    const response = fetch(endpoint, {
      method: "POST",
      headers: { ...POST_HEADERS, ...MODERN, "x-objectiveai-response-id": responseId },
      body: listen(1),
      signal: controller.signal,
    });
    const frame = await attach.frame("subscriptions/listen");
    attach.channel.deliverMessage(frame.id, {
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: {}, _meta: { [SUBSCRIPTION_ID]: 1 } },
    });
    const reader = (await response).body!.getReader();
    const text = await readUntil(reader, (seen) => seen.includes(": keepalive\n\n"));
    expect(text).toContain(": keepalive\n\n");
    controller.abort();
    await vi.waitFor(() =>
      expect(attach.controlFrames).toEqual([expect.objectContaining({ type: "cancel", id: frame.id })]),
    );
  });

  it("an upstream teardown (its notifications/cancelled, then a cancelled end) names the agent's id and sends no response", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const pending = fetch(endpoint, {
      method: "POST",
      headers: { ...POST_HEADERS, ...MODERN, "x-objectiveai-response-id": responseId },
      body: listen("M"),
    });
    const frame = await attach.frame("subscriptions/listen");
    attach.channel.deliverMessage(frame.id, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 12, reason: "shutting down" },
    });
    attach.channel.deliver({
      type: "server_response",
      id: frame.id,
      error: { code: -32800, message: "cancelled: the upstream tore the subscription down" },
      conduit: true,
    });
    const text = await (await pending).text();
    expect(sseMessages(text)).toEqual([
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "M", reason: "shutting down" } },
    ]);
    expect(attach.channel.pending.size).toBe(0);
  });
});

describe("sessionless cancel", () => {
  it("a sessionless notifications/cancelled cancels nothing (closing the stream is the cancel)", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const mine = post(endpoint, responseId, rpc("tools/call", { name: "a", _meta: ENVELOPE }, 0), MODERN);
    const frame = await attach.frame("tools/call");
    const cancel = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 0, _meta: ENVELOPE },
    });
    expect((await post(endpoint, responseId, cancel, MODERN)).status).toBe(202);
    expect(attach.controlFrames).toEqual([]);
    expect(attach.channel.pending.has(frame.id)).toBe(true);
    attach.answer(frame, { result: { content: [] } });
    expect((await mine).json).toEqual({ jsonrpc: "2.0", id: 0, result: { content: [] } });
  });

  it("forwards the 2026 request headers and requestState untouched", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const params = {
      name: "deploy",
      arguments: { region: "us-west1" },
      inputResponses: { confirm: { action: "accept", content: { ok: true } } },
      requestState: "v1.opaque+/=state",
      _meta: ENVELOPE,
    };
    const headers = { ...MODERN, "mcp-method": "tools/call", "mcp-name": "deploy", "mcp-param-region": "us-west1" };
    expect((await post(endpoint, responseId, rpc("tools/call", params, 3), headers)).status).toBe(200);
    const frame = attach.last("tools/call");
    expect(frame?.params).toEqual(params);
    expect(frame?.headers).toMatchObject(headers);
    expect(frame?.headers["mcp-session-id"]).toBeUndefined();
  });
});

describe("options", () => {
  it("maxListenMs must be from 1 to 2147483647", () => {
    const base = { registry: new ReverseChannelRegistry(), listeners: new SseStreamRegistry() };
    expect(() => createMcpRoute({ ...base, maxListenMs: 0 })).toThrow(RangeError);
    expect(() => createMcpRoute({ ...base, maxListenMs: 2 ** 31 })).toThrow(RangeError);
    expect(() => createMcpRoute({ ...base, maxListenMs: 5 })).not.toThrow();
  });
});
