import {
  ConduitErrorCode,
  JsonRpcErrorCode,
  OBJECTIVEAI_MCP,
  frameText,
  type ServerResponseFrame,
} from "@conduit/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReverseChannel } from "../src/index.js";
import { TOOLS_LIST, expectConduitError, parseServerRequest, recordingChannel, rejectionOf, watch } from "./helpers.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ReverseChannel.request", () => {
  it("writes exactly one server_request text frame carrying the id, mcp, method, params and headers", async () => {
    const { channel, frames } = recordingChannel();
    const answered = watch(channel.request(TOOLS_LIST));

    expect(frames).toHaveLength(1);
    const raw: unknown = JSON.parse(frames[0] ?? "");
    const frame = parseServerRequest(frames[0]);
    expect(raw).toEqual({
      type: "server_request",
      id: frame.id,
      mcp: "acme/files/1.0.0/fs",
      method: "tools/list",
      params: { cursor: "c1" },
      headers: { "mcp-session-id": "sess-1", "x-objectiveai-response-id": "resp_a" },
    });
    expect(Number.isInteger(frame.id)).toBe(true);
    expect(channel.pending.has(frame.id)).toBe(true);

    const reply: ServerResponseFrame = { type: "server_response", id: frame.id, result: { tools: [] } };
    expect(channel.deliver(reply)).toBe(true);
    await answered.settled;
    expect(answered.outcome).toEqual({ kind: "resolved", value: reply });
    expect(frames).toHaveLength(1);
  });

  it("mints integer ids that are unique per channel, each channel counting on its own", () => {
    const first = recordingChannel();
    const second = recordingChannel();
    for (let i = 0; i < 50; i += 1) void first.channel.request(TOOLS_LIST).catch(() => undefined);
    for (let i = 0; i < 3; i += 1) void second.channel.request(TOOLS_LIST).catch(() => undefined);

    const firstIds = first.frames.map((text) => parseServerRequest(text).id);
    const secondIds = second.frames.map((text) => parseServerRequest(text).id);
    expect(firstIds).toHaveLength(50);
    expect(new Set(firstIds).size).toBe(50);
    expect(firstIds.every((id) => Number.isInteger(id))).toBe(true);
    expect(secondIds).toEqual([1, 2, 3]);
    expect(first.channel.pending.size).toBe(50);

    first.channel.close();
    second.channel.close();
  });

  it("omits params when the request has none, and still validates as a server_request", () => {
    const { channel, frames } = recordingChannel();
    void channel.request({ mcp: OBJECTIVEAI_MCP, method: "session/terminate", headers: {} }).catch(() => undefined);
    const frame = parseServerRequest(frames[0]);
    expect(frame).toEqual({
      type: "server_request",
      id: 1,
      mcp: "objectiveai",
      method: "session/terminate",
      headers: {},
    });
    channel.close();
  });

  it("resolves with an upstream's own JSON-RPC error instead of rejecting: that error passes through unchanged", async () => {
    const { channel, frames } = recordingChannel();
    const answered = watch(channel.request(TOOLS_LIST));
    const { id } = parseServerRequest(frames[0]);
    const upstreamError: ServerResponseFrame = {
      type: "server_response",
      id,
      error: { code: -32601, message: "Method not found", data: { method: "tools/list" } },
    };

    expect(channel.deliver(upstreamError)).toBe(true);
    await answered.settled;
    expect(answered.outcome).toEqual({ kind: "resolved", value: upstreamError });
  });

  it("a writer that throws makes the request reject with -32002 and leaves the table empty", async () => {
    const channel = new ReverseChannel({
      write: () => {
        throw new Error("socket is not open");
      },
    });
    const error = expectConduitError(
      await rejectionOf(channel.request(TOOLS_LIST)),
      ConduitErrorCode.ChannelClosed,
      503,
    );
    expect(error.message).toContain("socket is not open");
    expect(channel.pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(channel.closed).toBe(false);
  });

  it("a writer that throws something other than an Error still names it in the -32002 message", async () => {
    const channel = new ReverseChannel({
      write: () => {
        throw "EPIPE";
      },
    });
    const error = expectConduitError(
      await rejectionOf(channel.request(TOOLS_LIST)),
      ConduitErrorCode.ChannelClosed,
      503,
    );
    expect(error.message).toContain("EPIPE");
    expect(channel.pending.size).toBe(0);
  });

  it("a server_request that cannot be encoded rejects with -32603 naming the encode failure, not -32002", async () => {
    const written: string[] = [];
    const channel = new ReverseChannel({ write: (frame) => void written.push(frameText(frame)) });
    const error = expectConduitError(
      await rejectionOf(channel.request({ ...TOOLS_LIST, params: { big: 1n } })),
      JsonRpcErrorCode.InternalError,
      500,
    );
    expect(error.message).toMatch(/^server_request not sent: server_request frame cannot be encoded: .*BigInt/);
    expect(written).toHaveLength(0);
    expect(channel.pending.size).toBe(0);
    expect(channel.closed).toBe(false);
  });

  it("registers the waiter before writing, so a writer that answers synchronously is heard", async () => {
    const channel: ReverseChannel = new ReverseChannel({
      write: (frame) => {
        const { id } = parseServerRequest(frameText(frame));
        expect(channel.deliver({ type: "server_response", id, result: { echoed: id } })).toBe(true);
      },
    });
    const answered = watch(channel.request(TOOLS_LIST));
    await answered.settled;
    expect(answered.outcome).toEqual({
      kind: "resolved",
      value: { type: "server_response", id: 1, result: { echoed: 1 } },
    });
    expect(channel.pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a socket that closes while the frame is being written rejects the request once with -32002", async () => {
    const channel: ReverseChannel = new ReverseChannel({
      write: () => {
        channel.close("socket closed mid-write");
      },
    });
    const answered = watch(channel.request(TOOLS_LIST));
    await answered.settled;
    expect(answered.settlements).toBe(1);
    if (answered.outcome?.kind !== "rejected") throw new Error("expected a rejection");
    expect(expectConduitError(answered.outcome.error, ConduitErrorCode.ChannelClosed, 503).message).toBe(
      "socket closed mid-write",
    );
    expect(channel.closed).toBe(true);
  });

  it("times out with -32003 and drops the late answer", async () => {
    const { channel, frames } = recordingChannel({ timeoutMs: 250 });
    const answered = watch(channel.request(TOOLS_LIST));
    const { id } = parseServerRequest(frames[0]);

    vi.advanceTimersByTime(250);
    expect(channel.deliver({ type: "server_response", id, result: "late" })).toBe(false);
    await answered.settled;
    if (answered.outcome?.kind !== "rejected") throw new Error("expected a rejection");
    expectConduitError(answered.outcome.error, ConduitErrorCode.Timeout, 504);
    expect(channel.pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // v2: the attach client is told, so the upstream stops working on a request nobody waits for.
    expect(frames.slice(1).map((frame) => JSON.parse(frame) as unknown)).toEqual([
      { type: "cancel", id, reason: "timed out: no answer within 250 ms" },
    ]);
  });

  it("on a v1 channel a timeout writes nothing more (v1 has no cancel frame)", async () => {
    const { channel, frames } = recordingChannel({ timeoutMs: 250, protocol: 1 });
    const answered = watch(channel.request(TOOLS_LIST));
    vi.advanceTimersByTime(250);
    await answered.settled;
    expect(answered.outcome?.kind).toBe("rejected");
    expect(frames).toHaveLength(1);
  });

  it("an aborted request fails with -32002 and its answer is dropped", async () => {
    const { channel, frames } = recordingChannel();
    const controller = new AbortController();
    const answered = watch(channel.request(TOOLS_LIST, { signal: controller.signal }));
    const { id } = parseServerRequest(frames[0]);

    controller.abort();
    expect(channel.deliver({ type: "server_response", id, result: "too late" })).toBe(false);
    await answered.settled;
    if (answered.outcome?.kind !== "rejected") throw new Error("expected a rejection");
    expectConduitError(answered.outcome.error, ConduitErrorCode.ChannelClosed, 503);
  });

  it("an unknown server_response id is dropped", () => {
    const { channel } = recordingChannel();
    expect(channel.deliver({ type: "server_response", id: 42, result: null })).toBe(false);
    expect(channel.deliver({ type: "server_response", id: "nope", result: null })).toBe(false);
  });
});

describe("ReverseChannel: bounded and closable", () => {
  it("past maxPending the request fails at once with -32005 (429) and nothing is written for it; one settling makes room", async () => {
    const { channel, frames } = recordingChannel({ maxPending: 2 });
    const first = watch(channel.request(TOOLS_LIST));
    const second = watch(channel.request(TOOLS_LIST));
    expect(frames).toHaveLength(2);

    const refused = channel.request(TOOLS_LIST);
    expect(frames).toHaveLength(2);
    expect(channel.pending.size).toBe(2);
    expectConduitError(await rejectionOf(refused), ConduitErrorCode.TooManyPending, 429);

    const { id } = parseServerRequest(frames[0]);
    expect(channel.deliver({ type: "server_response", id, result: "done" })).toBe(true);
    const third = watch(channel.request(TOOLS_LIST));
    expect(frames).toHaveLength(3);
    expect(channel.pending.size).toBe(2);

    expect(channel.close()).toBe(2);
    await Promise.all([first.settled, second.settled, third.settled]);
    expect(first.outcome?.kind).toBe("resolved");
    expect(second.outcome?.kind).toBe("rejected");
    expect(third.outcome?.kind).toBe("rejected");
  });

  it("close rejects every pending request with -32002; afterwards request() rejects at once and writes nothing", async () => {
    const { channel, frames } = recordingChannel();
    const requests = [0, 1, 2].map(() => watch(channel.request(TOOLS_LIST)));

    expect(channel.close()).toBe(3);
    expect(channel.closed).toBe(true);
    expect(channel.pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await Promise.all(requests.map((request) => request.settled));
    for (const request of requests) {
      if (request.outcome?.kind !== "rejected") throw new Error("expected a rejection");
      expectConduitError(request.outcome.error, ConduitErrorCode.ChannelClosed, 503);
    }

    const afterClose = channel.request(TOOLS_LIST);
    expect(frames).toHaveLength(3);
    expectConduitError(await rejectionOf(afterClose), ConduitErrorCode.ChannelClosed, 503);
    expect(channel.close()).toBe(0);
  });
});
