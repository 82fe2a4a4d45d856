// The relay (conduit.v2): interim messages of a request stream on its POST
// answer, upstream requests are answered by the agent that got them, cancels
// reach the exchange, and only declared mcps are reachable.
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { POST_HEADERS, closeHarnesses, post, rpc, sseMessages, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

function postAsync(
  url: string,
  responseId: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...POST_HEADERS, "x-objectiveai-response-id": responseId, ...headers },
    body,
  });
}

describe("interim messages", () => {
  it("stream on the POST answer in order, then the final response ends the stream", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const pending = postAsync(
      endpoint,
      responseId,
      rpc("tools/call", { name: "slow", _meta: { progressToken: 5 } }, 3),
    );
    const frame = await attach.frame("tools/call");
    const progress = (n: number) => ({
      jsonrpc: "2.0" as const,
      method: "notifications/progress",
      params: { progressToken: 5, progress: n },
    });
    expect(attach.channel.deliverMessage(frame.id, progress(1))).toBe(true);
    expect(attach.channel.deliverMessage(frame.id, progress(2))).toBe(true);
    attach.answer(frame, { result: { content: [{ type: "text", text: "done" }] } });
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(sseMessages(await response.text())).toEqual([
      progress(1),
      progress(2),
      { jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "done" }] } },
    ]);
    expect(attach.channel.pending.size).toBe(0);
  });

  it("a failure after the stream started is a JSON-RPC error event with the request's id", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const pending = postAsync(endpoint, responseId, rpc("tools/call", { name: "x" }, "r-1"));
    const frame = await attach.frame("tools/call");
    attach.channel.deliverMessage(frame.id, { jsonrpc: "2.0", method: "notifications/message", params: {} });
    attach.channel.close("gone");
    const messages = sseMessages(await (await pending).text());
    expect(messages[1]).toMatchObject({ jsonrpc: "2.0", id: "r-1", error: { code: -32002 } });
  });
});

describe("upstream requests answered by the agent", () => {
  it("reach the agent on the stream; its POSTed response goes back as one agent_message, once", async () => {
    const { endpoint, responseId, attach, registry } = await startHarness({ handler: () => undefined });
    const pending = postAsync(endpoint, responseId, rpc("tools/call", { name: "sample" }, 1));
    const frame = await attach.frame("tools/call");
    const sampling = { jsonrpc: "2.0" as const, id: "c-7", method: "sampling/createMessage", params: { messages: [] } };
    attach.channel.deliverMessage(frame.id, sampling);

    // Another agent on the same socket may not answer it.
    const other = "resp_other_agent_0123456789abcdef";
    registry.register(other, attach.channel);
    const answer = JSON.stringify({ jsonrpc: "2.0", id: "c-7", result: { role: "assistant", content: {} } });
    expect((await post(endpoint, other, answer)).status).toBe(400);

    const accepted = await post(endpoint, responseId, answer, { "mcp-session-id": "s-1" });
    expect(accepted.status).toBe(202);
    expect(attach.controlFrames).toEqual([
      {
        type: "agent_message",
        mcp: "objectiveai",
        headers: expect.objectContaining({ "mcp-session-id": "s-1" }) as unknown,
        message: JSON.parse(answer) as unknown,
      },
    ]);
    // Answered already: a second answer is refused and nothing more is sent.
    const again = await post(endpoint, responseId, answer);
    expect(again.status).toBe(400);
    expect(attach.controlFrames).toHaveLength(1);

    attach.answer(frame, { result: { content: [] } });
    expect(sseMessages(await (await pending).text())[0]).toEqual(sampling);
  });
});

describe("cancellation", () => {
  it("the agent's notifications/cancelled cancels its own call only, and the stream ends without a response", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const mine = postAsync(endpoint, responseId, rpc("tools/call", { name: "a" }, 9), { "mcp-session-id": "s-A" });
    const theirs = postAsync(endpoint, responseId, rpc("tools/call", { name: "b" }, 9), { "mcp-session-id": "s-B" });
    await vi.waitFor(() => expect(attach.frames).toHaveLength(2));
    const [first, second] = attach.frames;
    const cancel = JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } });
    expect((await post(endpoint, responseId, cancel, { "mcp-session-id": "s-A" })).status).toBe(202);

    const cancelled = await mine;
    expect(cancelled.headers.get("content-type")).toBe("text/event-stream");
    expect(await cancelled.text()).toBe("");
    const sessionA = first?.headers["mcp-session-id"] === "s-A" ? first : second;
    const sessionB = sessionA === first ? second : first;
    expect(attach.controlFrames).toEqual([{ type: "cancel", id: sessionA?.id, reason: "the agent cancelled" }]);
    expect(attach.channel.pending.has(sessionB?.id ?? -1)).toBe(true);
    attach.answer(sessionB!, { result: { ok: true } });
    expect(await (await theirs).json()).toEqual({ jsonrpc: "2.0", id: 9, result: { ok: true } });
    expect(attach.channel.pending.size).toBe(0);
  });

  it("the agent's HTTP request going away cancels the call upstream", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const controller = new AbortController();
    const pending = fetch(endpoint, {
      method: "POST",
      headers: { ...POST_HEADERS, "x-objectiveai-response-id": responseId },
      body: rpc("tools/call", { name: "long" }, 1),
      signal: controller.signal,
    }).catch(() => undefined);
    const frame = await attach.frame("tools/call");
    controller.abort();
    await pending;
    await vi.waitFor(() =>
      expect(attach.controlFrames).toEqual([expect.objectContaining({ type: "cancel", id: frame.id })]),
    );
    expect(attach.channel.pending.size).toBe(0);
  });

  it("an agent that stops reading a flood of interim messages has its call cancelled and its stream cut", async () => {
    const { endpoint, responseId, attach } = await startHarness({
      handler: () => undefined,
      maxStreamBufferBytes: 64 * 1024,
    });
    const url = new URL(endpoint);
    const req = httpRequest(url, {
      method: "POST",
      headers: { ...POST_HEADERS, "x-objectiveai-response-id": responseId },
    });
    const closed = new Promise<void>((resolve) => req.on("close", resolve));
    req.on("error", () => undefined);
    req.on("response", (res) => res.pause()); // never reads the body
    req.end(rpc("tools/call", { name: "flood" }, 1));
    const frame = await attach.frame("tools/call");
    const big = { jsonrpc: "2.0" as const, method: "notifications/message", params: { data: "x".repeat(16 * 1024) } };
    for (let sent = 0; sent < 20_000 && attach.controlFrames.length === 0; sent++) {
      attach.channel.deliverMessage(frame.id, big);
      if (sent % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(attach.controlFrames).toEqual([expect.objectContaining({ type: "cancel", id: frame.id })]);
    expect(attach.channel.pending.size).toBe(0);
    await closed;
  });
});

describe("declared mcps", () => {
  it("an mcp the stream did not declare is 404 -32001 and nothing is forwarded", async () => {
    const { listener, responseId, attach } = await startHarness();
    for (const method of ["POST", "GET", "DELETE"] as const) {
      const response = await fetch(`${listener.url}/acme/secret/1.0.0/vault`, {
        method,
        headers: { ...POST_HEADERS, "x-objectiveai-response-id": responseId },
        ...(method === "POST" ? { body: rpc("tools/list") } : {}),
      });
      expect(response.status, method).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: -32001 } });
    }
    expect(attach.frames).toHaveLength(0);
  });
});

describe("the attach client's own errors", () => {
  it("carry their HTTP status (unknown session 404, upstream failed 502); an upstream's own error stays 200", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    const cases = [
      { error: { code: -32001, message: "unknown or terminated Mcp-Session-Id" }, conduit: true, status: 404 },
      { error: { code: -32004, message: "upstream closed before answering" }, conduit: true, status: 502 },
      { error: { code: -32002, message: "Resource not found" }, conduit: undefined, status: 200 },
    ];
    for (const [index, testCase] of cases.entries()) {
      const pending = post(endpoint, responseId, rpc("tools/call", {}, index));
      const frame = await attach.nth(index);
      attach.channel.deliver({
        type: "server_response",
        id: frame.id,
        error: testCase.error,
        ...(testCase.conduit ? { conduit: true as const } : {}),
      });
      const { status, json } = await pending;
      expect(status).toBe(testCase.status);
      expect(json).toEqual({ jsonrpc: "2.0", id: index, error: testCase.error });
    }
  });
});

describe("an answer too deep to re-encode", () => {
  it("is a -32004 error carrying the request's id, as JSON and on a stream", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let level = 0; level < 50_000; level++) {
      const next: Record<string, unknown> = {};
      deep.a = next;
      deep = next;
    }
    const plain = post(endpoint, responseId, rpc("tools/call", {}, "deep-1"));
    attach.answer(await attach.nth(0), { result: root });
    const reply = await plain;
    expect(reply.status).toBe(502);
    expect(reply.json).toMatchObject({ jsonrpc: "2.0", id: "deep-1", error: { code: -32004 } });

    const streamed = postAsync(endpoint, responseId, rpc("tools/call", {}, "deep-2"));
    const frame = await attach.nth(1);
    attach.channel.deliverMessage(frame.id, { jsonrpc: "2.0", method: "notifications/progress", params: {} });
    attach.answer(frame, { result: root });
    const messages = sseMessages(await (await streamed).text());
    expect(messages[1]).toMatchObject({ jsonrpc: "2.0", id: "deep-2", error: { code: -32004 } });
  });
});
