import { ConduitErrorCode } from "@conduit/protocol";
import { describe, expect, it } from "vitest";
import { ReverseAttachGuard, ReverseChannelRegistry, sendServerRequest } from "../src/index.js";
import { TOOLS_LIST, expectConduitError, parseServerRequest, recordingChannel, rejectionOf, watch } from "./helpers.js";

describe("ReverseChannelRegistry", () => {
  it("maps response ids to channels; a later register replaces the mapping", () => {
    const registry = new ReverseChannelRegistry();
    const a = recordingChannel().channel;
    const b = recordingChannel().channel;

    registry.register("resp_1", a);
    registry.register("resp_2", a);
    expect(registry.get("resp_1")).toBe(a);
    expect(registry.get("resp_2")).toBe(a);
    expect(registry.has("resp_3")).toBe(false);
    expect(registry.get("resp_3")).toBeUndefined();
    expect(registry.size).toBe(2);

    registry.register("resp_1", b);
    expect(registry.get("resp_1")).toBe(b);
    expect(registry.size).toBe(2);
  });

  it("unregister removes an id only while it still maps to the given channel", () => {
    const registry = new ReverseChannelRegistry();
    const a = recordingChannel().channel;
    const b = recordingChannel().channel;
    registry.register("resp_1", b);

    expect(registry.unregister("resp_1", a)).toBe(false);
    expect(registry.get("resp_1")).toBe(b);
    expect(registry.unregister("resp_1", b)).toBe(true);
    expect(registry.has("resp_1")).toBe(false);
    expect(registry.unregister("resp_1", b)).toBe(false);
    expect(registry.size).toBe(0);
  });
});

describe("sendServerRequest", () => {
  it("fails with -32001 (HTTP 404) for a response id nobody registered, writing nothing anywhere", async () => {
    const registry = new ReverseChannelRegistry();
    const { channel, frames } = recordingChannel();
    registry.register("resp_known", channel);

    const error = await rejectionOf(sendServerRequest(registry, "resp_unknown", TOOLS_LIST));
    expectConduitError(error, ConduitErrorCode.NoReverseChannel, 404);
    expect(frames).toHaveLength(0);
    expect(channel.pending.size).toBe(0);
  });

  it("routes each response id to the channel it maps to", async () => {
    const registry = new ReverseChannelRegistry();
    const left = recordingChannel();
    const right = recordingChannel();
    registry.register("resp_left", left.channel);
    registry.register("resp_right", right.channel);

    const answered = watch(sendServerRequest(registry, "resp_right", TOOLS_LIST));
    expect(left.frames).toHaveLength(0);
    expect(right.frames).toHaveLength(1);
    const { id } = parseServerRequest(right.frames[0]);
    expect(right.channel.deliver({ type: "server_response", id, result: "from the right" })).toBe(true);
    await answered.settled;
    expect(answered.outcome).toEqual({
      kind: "resolved",
      value: { type: "server_response", id, result: "from the right" },
    });
  });

  it("fails with -32001 once the owning guard released the id", async () => {
    const registry = new ReverseChannelRegistry();
    const { channel, frames } = recordingChannel();
    const guard = new ReverseAttachGuard(registry, channel);
    guard.register("resp_gone");
    guard.release();

    expectConduitError(
      await rejectionOf(sendServerRequest(registry, "resp_gone", TOOLS_LIST)),
      ConduitErrorCode.NoReverseChannel,
      404,
    );
    expect(frames).toHaveLength(0);
  });
});
