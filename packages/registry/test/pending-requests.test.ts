import { getEventListeners } from "node:events";
import { ConduitError, ConduitErrorCode, type RequestId, type ServerResponseFrame } from "@conduit/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_MAX_PENDING, DEFAULT_TIMEOUT_MS, PendingRequests } from "../src/index.js";
import { drainReactions, expectConduitError, rejectionOf, watch, type Watched } from "./helpers.js";

function answer(id: RequestId, result: unknown = { ok: id }): ServerResponseFrame {
  return { type: "server_response", id, result };
}

function expectResolvedWith(watched: Watched<ServerResponseFrame>, frame: ServerResponseFrame): void {
  expect(watched.settlements).toBe(1);
  expect(watched.outcome).toEqual({ kind: "resolved", value: frame });
}

function expectRejectedWith(watched: Watched<ServerResponseFrame>, code: number, httpStatus: number): void {
  expect(watched.settlements).toBe(1);
  expect(watched.outcome?.kind).toBe("rejected");
  if (watched.outcome?.kind === "rejected") expectConduitError(watched.outcome.error, code, httpStatus);
}

/** Resolves true when a macrotask ran before `promise` settled — i.e. it did not settle "at once". */
async function settledAfterAMacrotask(promise: Promise<unknown>): Promise<boolean> {
  let macrotaskRan = false;
  setImmediate(() => {
    macrotaskRan = true;
  });
  await promise.then(
    () => undefined,
    () => undefined,
  );
  return macrotaskRan;
}

describe("PendingRequests: settling exactly once (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("an answer resolves the request once; a second answer for the same id is dropped", async () => {
    const pending = new PendingRequests({ timeoutMs: 1_000 });
    const watched = watch(pending.request({ id: 1 }));
    expect(pending.has(1)).toBe(true);
    expect(vi.getTimerCount()).toBe(1);

    expect(pending.resolve(answer(1, "first"))).toBe(true);
    expect(pending.resolve(answer(1, "second"))).toBe(false);
    await watched.settled;

    expectResolvedWith(watched, answer(1, "first"));
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("answer and close in the same tick: the answer wins and close finds nothing", async () => {
    const pending = new PendingRequests();
    const watched = watch(pending.request({ id: "a" }));

    expect(pending.resolve(answer("a"))).toBe(true);
    expect(pending.close()).toBe(0);
    await watched.settled;

    expectResolvedWith(watched, answer("a"));
    expect(pending.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("close and answer in the same tick: close wins and the answer is dropped", async () => {
    const pending = new PendingRequests();
    const watched = watch(pending.request({ id: "a" }));

    expect(pending.close()).toBe(1);
    expect(pending.resolve(answer("a"))).toBe(false);
    await watched.settled;

    expectRejectedWith(watched, ConduitErrorCode.ChannelClosed, 503);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("abort then answer: the request fails with -32002 and the answer is dropped", async () => {
    const pending = new PendingRequests();
    const controller = new AbortController();
    const watched = watch(pending.request({ id: 7 }, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);

    controller.abort();
    expect(pending.resolve(answer(7))).toBe(false);
    await watched.settled;

    expectRejectedWith(watched, ConduitErrorCode.ChannelClosed, 503);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("answer then abort: the answer stands and the abort listener is gone", async () => {
    const pending = new PendingRequests();
    const controller = new AbortController();
    const watched = watch(pending.request({ id: 7 }, { signal: controller.signal }));

    expect(pending.resolve(answer(7))).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    await watched.settled;

    expectResolvedWith(watched, answer(7));
  });

  it("times out with -32003 (HTTP 504) exactly at timeoutMs, and the late answer is dropped", async () => {
    const pending = new PendingRequests({ timeoutMs: 500 });
    const watched = watch(pending.request({ id: 1 }));

    vi.advanceTimersByTime(499);
    await drainReactions();
    expect(watched.outcome).toBeUndefined();
    expect(pending.has(1)).toBe(true);

    vi.advanceTimersByTime(1);
    expect(pending.resolve(answer(1))).toBe(false);
    await watched.settled;

    expectRejectedWith(watched, ConduitErrorCode.Timeout, 504);
    expect(pending.size).toBe(0);
  });

  it("a late answer after a timeout is dropped and leaks nothing: no waiter, no timer, no abort listener", async () => {
    const pending = new PendingRequests({ timeoutMs: 100 });
    const controllers = [0, 1, 2, 3, 4].map(() => new AbortController());
    const requests = controllers.map((controller, id) => watch(pending.request({ id }, { signal: controller.signal })));
    expect(vi.getTimerCount()).toBe(5);

    vi.advanceTimersByTime(100);
    for (let id = 0; id < 5; id += 1) expect(pending.resolve(answer(id))).toBe(false);
    await Promise.all(requests.map((request) => request.settled));

    for (const request of requests) expectRejectedWith(request, ConduitErrorCode.Timeout, 504);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    for (const controller of controllers) expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("an answer before the timeout cancels the timer: advancing past it changes nothing", async () => {
    const pending = new PendingRequests({ timeoutMs: 100 });
    const watched = watch(pending.request({ id: 1 }));

    expect(pending.resolve(answer(1))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    await watched.settled;

    expectResolvedWith(watched, answer(1));
  });

  it("the per-request timeoutMs overrides the table default", async () => {
    const pending = new PendingRequests({ timeoutMs: 10_000 });
    const short = watch(pending.request({ id: "short" }, { timeoutMs: 50 }));
    const long = watch(pending.request({ id: "long" }));

    vi.advanceTimersByTime(50);
    await short.settled;
    expectRejectedWith(short, ConduitErrorCode.Timeout, 504);
    expect(long.outcome).toBeUndefined();
    expect(pending.has("long")).toBe(true);

    vi.advanceTimersByTime(9_950);
    await long.settled;
    expectRejectedWith(long, ConduitErrorCode.Timeout, 504);
  });

  it("defaults to a 30 s timeout (SPEC §5)", async () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(30_000);
    const pending = new PendingRequests();
    expect(pending.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    const watched = watch(pending.request({ id: 1 }));

    vi.advanceTimersByTime(29_999);
    await drainReactions();
    expect(watched.outcome).toBeUndefined();
    vi.advanceTimersByTime(1);
    await watched.settled;
    expectRejectedWith(watched, ConduitErrorCode.Timeout, 504);
  });

  it("when timeout, abort, close and answer all land in one tick, whichever came first decides", async () => {
    type Event = "answer" | "timeout" | "abort" | "close";
    const events: Event[] = ["answer", "timeout", "abort", "close"];
    const orders = permutations(events);
    expect(orders).toHaveLength(24);

    for (const order of orders) {
      const pending = new PendingRequests({ timeoutMs: 10 });
      const controller = new AbortController();
      const watched = watch(pending.request({ id: 1 }, { signal: controller.signal }));
      const results = order.map((event): boolean | number | undefined => {
        switch (event) {
          case "answer":
            return pending.resolve(answer(1));
          case "timeout":
            vi.advanceTimersByTime(10);
            return undefined;
          case "abort":
            controller.abort();
            return undefined;
          case "close":
            return pending.close();
        }
      });
      await watched.settled;

      const first = order[0];
      if (first === "answer") expectResolvedWith(watched, answer(1));
      else if (first === "timeout") expectRejectedWith(watched, ConduitErrorCode.Timeout, 504);
      else expectRejectedWith(watched, ConduitErrorCode.ChannelClosed, 503);
      // The answer only counts when it came first; close only finds a waiter when it came first.
      expect(results[order.indexOf("answer")]).toBe(first === "answer");
      expect(results[order.indexOf("close")]).toBe(first === "close" ? 1 : 0);
      expect(pending.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it("reject(id) fails exactly that waiter and returns false for an id nobody waits for", async () => {
    const pending = new PendingRequests();
    const failed = watch(pending.request({ id: 1 }));
    const other = watch(pending.request({ id: 2 }));

    expect(pending.reject(1, new ConduitError(ConduitErrorCode.UpstreamFailed, "upstream failed"))).toBe(true);
    expect(pending.reject(1, new ConduitError(ConduitErrorCode.UpstreamFailed, "again"))).toBe(false);
    expect(pending.reject(99, new ConduitError(ConduitErrorCode.UpstreamFailed, "nobody"))).toBe(false);
    await failed.settled;

    expectRejectedWith(failed, ConduitErrorCode.UpstreamFailed, 502);
    expect(other.outcome).toBeUndefined();
    expect(pending.has(2)).toBe(true);
  });

  it("a second waiter for an id that is already pending is refused and the first is untouched", async () => {
    const pending = new PendingRequests();
    const first = watch(pending.request({ id: 1 }));

    const error = await rejectionOf(pending.request({ id: 1 }));
    expectConduitError(error, -32603, 500);
    expect(pending.size).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    expect(first.outcome).toBeUndefined();
    expect(pending.resolve(answer(1))).toBe(true);
    await first.settled;
    expectResolvedWith(first, answer(1));
  });

  it("a signal that is already aborted is refused at once with -32002, with no waiter and no timer", async () => {
    const pending = new PendingRequests();
    const error = await rejectionOf(pending.request({ id: 1 }, { signal: AbortSignal.abort() }));
    expectConduitError(error, ConduitErrorCode.ChannelClosed, 503);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("PendingRequests: close", () => {
  it("rejects every pending request with -32002 at once, before any new macrotask", async () => {
    const pending = new PendingRequests();
    const requests = [1, 2, 3, 4, 5].map((id) => pending.request({ id }));

    expect(pending.close("socket went away")).toBe(5);
    expect(pending.size).toBe(0);
    expect(pending.closed).toBe(true);

    const allRejected = Promise.allSettled(requests);
    expect(await settledAfterAMacrotask(allRejected)).toBe(false);
    for (const result of await allRejected) {
      expect(result.status).toBe("rejected");
      if (result.status === "rejected") {
        expect(expectConduitError(result.reason, ConduitErrorCode.ChannelClosed, 503).message).toBe("socket went away");
      }
    }
  });

  it("after close, request() rejects at once with -32002 and registers nothing", async () => {
    vi.useFakeTimers();
    try {
      const pending = new PendingRequests();
      pending.close();
      const refused = pending.request({ id: 1 });
      expect(pending.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      expectConduitError(await rejectionOf(refused), ConduitErrorCode.ChannelClosed, 503);
    } finally {
      vi.useRealTimers();
    }
  });

  it("after close, the refusal needs no macrotask either", async () => {
    const pending = new PendingRequests();
    pending.close();
    expect(await settledAfterAMacrotask(pending.request({ id: 1 }))).toBe(false);
  });
});

describe("PendingRequests: bounded table (SPEC §10)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("past maxPending the next request fails at once with -32005 (HTTP 429); after one settles a new one fits", async () => {
    vi.useFakeTimers();
    const pending = new PendingRequests({ maxPending: 3 });
    const admitted = [1, 2, 3].map((id) => watch(pending.request({ id })));
    expect(pending.size).toBe(3);

    const refused = watch(pending.request({ id: 4 }));
    await drainReactions();
    expect(refused.outcome?.kind).toBe("rejected");
    if (refused.outcome?.kind === "rejected")
      expectConduitError(refused.outcome.error, ConduitErrorCode.TooManyPending, 429);
    expect(pending.size).toBe(3);
    expect(pending.has(4)).toBe(false);
    expect(vi.getTimerCount()).toBe(3);

    expect(pending.resolve(answer(2))).toBe(true);
    const next = watch(pending.request({ id: 5 }));
    expect(pending.has(5)).toBe(true);
    expect(pending.size).toBe(3);
    expect(pending.resolve(answer(5))).toBe(true);
    await next.settled;
    expectResolvedWith(next, answer(5));
    for (const request of admitted) expect(request.settlements).toBeLessThanOrEqual(1);
  });

  it("defaults to 1024 requests in flight", async () => {
    expect(DEFAULT_MAX_PENDING).toBe(1024);
    vi.useFakeTimers();
    const pending = new PendingRequests();
    expect(pending.maxPending).toBe(1024);
    const admitted = Array.from({ length: 1024 }, (_, id) => pending.request({ id }));
    expect(pending.size).toBe(1024);

    expectConduitError(await rejectionOf(pending.request({ id: 1024 })), ConduitErrorCode.TooManyPending, 429);
    expect(pending.size).toBe(1024);
    expect(pending.close()).toBe(1024);
    expect((await Promise.allSettled(admitted)).every((result) => result.status === "rejected")).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}
