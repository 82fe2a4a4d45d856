import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_IDS_PER_SOCKET,
  RegistrationLimitError,
  ReverseAttachGuard,
  ReverseChannelRegistry,
  sendServerRequest,
} from "../src/index.js";
import { TOOLS_LIST, parseServerRequest, recordingChannel } from "./helpers.js";

function socket(registry: ReverseChannelRegistry, maxIds?: number) {
  const { channel, frames } = recordingChannel();
  const guard = new ReverseAttachGuard(registry, channel, maxIds === undefined ? {} : { maxIds });
  return { channel, frames, guard };
}

describe("ReverseAttachGuard", () => {
  it("registers ids on its own channel through the guard and through its handle", () => {
    const registry = new ReverseChannelRegistry();
    const { channel, guard } = socket(registry);

    expect(guard.register("resp_a")).toBe(true);
    expect(guard.handle.register("resp_b")).toBe(true);
    expect(guard.handle.channel).toBe(channel);
    expect(guard.channel).toBe(channel);
    expect(registry.get("resp_a")).toBe(channel);
    expect(registry.get("resp_b")).toBe(channel);
    expect([...guard.ids]).toEqual(["resp_a", "resp_b"]);
  });

  it("release removes and returns only the ids that still map to its own channel", () => {
    const registry = new ReverseChannelRegistry();
    const first = socket(registry);
    const second = socket(registry);
    first.guard.register("resp_shared");
    first.guard.register("resp_own");
    second.guard.register("resp_shared");
    expect(registry.get("resp_shared")).toBe(second.channel);

    expect(first.guard.owns("resp_own")).toBe(true);
    expect(first.guard.owns("resp_shared")).toBe(false);
    expect([...first.guard.ownedIds()]).toEqual(["resp_own"]);
    expect(first.guard.release()).toEqual(["resp_own"]);
    expect(registry.has("resp_own")).toBe(false);
    expect(registry.get("resp_shared")).toBe(second.channel);

    expect(second.guard.release()).toEqual(["resp_shared"]);
    expect(registry.size).toBe(0);
  });

  it("release is idempotent: the second call returns [] and leaves ids registered since alone", () => {
    const registry = new ReverseChannelRegistry();
    const first = socket(registry);
    const second = socket(registry);
    first.guard.register("resp_a");

    expect(first.guard.release()).toEqual(["resp_a"]);
    expect(first.guard.released).toBe(true);
    second.guard.register("resp_a");
    expect(first.guard.release()).toEqual([]);
    expect(registry.get("resp_a")).toBe(second.channel);
    expect(first.guard.ids.size).toBe(0);
  });

  it("after release, register is a no-op returning false — also through a handle that outlived the guard", () => {
    const registry = new ReverseChannelRegistry();
    const { guard } = socket(registry);
    const handle = guard.handle;
    expect(handle.released).toBe(false);
    guard.release();

    expect(handle.released).toBe(true);
    expect(guard.register("resp_late")).toBe(false);
    expect(handle.register("resp_late_too")).toBe(false);
    expect(registry.size).toBe(0);
    expect(guard.ids.size).toBe(0);
  });

  it("`using` releases the guard at the end of the scope", () => {
    const registry = new ReverseChannelRegistry();
    const { channel } = recordingChannel();
    let outlived: ReverseAttachGuard | undefined;
    {
      using guard = new ReverseAttachGuard(registry, channel);
      guard.register("resp_scoped");
      outlived = guard;
      expect(registry.get("resp_scoped")).toBe(channel);
    }
    expect(registry.has("resp_scoped")).toBe(false);
    expect(outlived.released).toBe(true);
  });

  it("[Symbol.dispose] releases like release()", () => {
    const registry = new ReverseChannelRegistry();
    const { guard } = socket(registry);
    guard.register("resp_a");

    guard[Symbol.dispose]();
    expect(guard.released).toBe(true);
    expect(registry.has("resp_a")).toBe(false);
    expect(guard.release()).toEqual([]);
  });

  it("many ids (a swarm of 64) on one guard all reach the same channel, and release removes every one", async () => {
    const registry = new ReverseChannelRegistry();
    const { channel, frames, guard } = socket(registry);
    const ids = Array.from({ length: 64 }, (_, index) => `resp_agent_${index}`);
    for (const id of ids) expect(guard.register(id)).toBe(true);

    for (const id of ids) expect(registry.get(id)).toBe(channel);
    const requests = ids.map((id) => sendServerRequest(registry, id, TOOLS_LIST));
    expect(frames).toHaveLength(64);
    expect(new Set(frames.map((text) => parseServerRequest(text).id)).size).toBe(64);

    expect(guard.release().sort()).toEqual([...ids].sort());
    expect(registry.size).toBe(0);
    // release does not close the channel: what is in flight stays in flight until the socket owner closes it.
    expect(channel.closed).toBe(false);
    expect(channel.pending.size).toBe(64);
    expect(channel.close()).toBe(64);
    expect((await Promise.allSettled(requests)).every((result) => result.status === "rejected")).toBe(true);
  });

  it("throws RegistrationLimitError past maxIds; re-registering an id it already holds does not count", () => {
    const registry = new ReverseChannelRegistry();
    const { channel, guard } = socket(registry, 3);
    expect(guard.maxIds).toBe(3);
    guard.register("resp_1");
    guard.register("resp_2");
    guard.register("resp_3");
    expect(guard.register("resp_1")).toBe(true);

    let thrown: unknown;
    try {
      guard.register("resp_4");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RegistrationLimitError);
    expect((thrown as RegistrationLimitError).limit).toBe(3);
    expect(() => guard.handle.register("resp_5")).toThrow(RegistrationLimitError);
    expect(registry.has("resp_4")).toBe(false);
    expect(registry.has("resp_5")).toBe(false);
    expect(guard.ids.size).toBe(3);
    expect(registry.get("resp_1")).toBe(channel);
  });

  it("hitting one socket's limit leaves another socket's registrations alone", () => {
    const registry = new ReverseChannelRegistry();
    const small = socket(registry, 1);
    const other = socket(registry, 1);
    other.guard.register("resp_other");
    small.guard.register("resp_small");

    expect(() => small.guard.register("resp_other")).toThrow(RegistrationLimitError);
    expect(registry.get("resp_other")).toBe(other.channel);
    expect(registry.get("resp_small")).toBe(small.channel);
  });

  it("defaults to 1024 ids per socket (SPEC §10)", () => {
    expect(DEFAULT_MAX_IDS_PER_SOCKET).toBe(1024);
    const registry = new ReverseChannelRegistry();
    const { guard } = socket(registry);
    for (let index = 0; index < 1024; index += 1) guard.register(`resp_${index}`);
    expect(registry.size).toBe(1024);
    expect(() => guard.register("resp_1024")).toThrow(RegistrationLimitError);
    expect(registry.size).toBe(1024);
  });
});
