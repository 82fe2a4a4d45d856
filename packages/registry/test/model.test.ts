// Model-based test: random interleavings of registrations, releases, requests,
// interim messages, answers, aborts, cancels, timeouts and channel closes run
// against the real classes and against a small reference model; after every
// step both must agree.
import { ConduitError, ConduitErrorCode, frameText, type ServerResponseFrame } from "@conduit/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  RegistrationLimitError,
  ReverseAttachGuard,
  ReverseChannel,
  ReverseChannelRegistry,
  sendServerRequest,
} from "../src/index.js";
import { FS_MCP, drainReactions, parseServerRequest, watch, type Watched } from "./helpers.js";

const SOCKETS = 3;
const RESPONSE_IDS = ["resp_a", "resp_b", "resp_c", "resp_d"] as const;
const MAX_IDS = 3;
const MAX_PENDING = 2;
const TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 250;

type Op =
  | { kind: "register"; socket: number; id: number; viaHandle: boolean }
  | { kind: "reregister"; id: number; shift: number }
  | { kind: "release"; socket: number }
  | { kind: "lookup"; id: number }
  | { kind: "request"; id: number; abortable: boolean }
  | { kind: "answer"; pick: number }
  | { kind: "abort"; pick: number }
  | { kind: "message"; pick: number }
  | { kind: "cancel"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "close"; socket: number };

type Settlement = "answered" | "timeout" | "aborted" | "cancelled" | "closed" | "no_channel" | "too_many";
type RegisterResult = "registered" | "ignored" | "limit";

const REJECTION_CODE: Record<Exclude<Settlement, "answered">, number> = {
  timeout: ConduitErrorCode.Timeout,
  aborted: ConduitErrorCode.ChannelClosed,
  cancelled: ConduitErrorCode.Cancelled,
  closed: ConduitErrorCode.ChannelClosed,
  no_channel: ConduitErrorCode.NoReverseChannel,
  too_many: ConduitErrorCode.TooManyPending,
};

const socketArb = fc.integer({ min: 0, max: SOCKETS - 1 });
const idArb = fc.integer({ min: 0, max: RESPONSE_IDS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("register"), socket: socketArb, id: idArb, viaHandle: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("reregister"),
      id: idArb,
      shift: fc.integer({ min: 1, max: SOCKETS - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("release"), socket: socketArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lookup"), id: idArb }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("request"), id: idArb, abortable: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("answer"), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("abort"), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("message"), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel"), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance"), ms: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close"), socket: socketArb }) },
);

// ── the reference model ─────────────────────────────────────────────────────

interface ModelRequest {
  channel: number | undefined;
  requestId: number | undefined;
  abortable: boolean;
  deadline: number;
  hardDeadline: number;
  messages: number;
  state: Settlement | "pending";
}

class Model {
  readonly owner = new Map<string, number>();
  readonly held = Array.from({ length: SOCKETS }, () => new Set<string>());
  readonly released = Array.from({ length: SOCKETS }, () => false);
  readonly closed = Array.from({ length: SOCKETS }, () => false);
  readonly nextRequestId = Array.from({ length: SOCKETS }, () => 1);
  readonly written = Array.from({ length: SOCKETS }, () => 0);
  readonly requests: ModelRequest[] = [];
  now = 0;

  register(socket: number, id: string): RegisterResult {
    const held = this.held[socket] ?? new Set<string>();
    if (this.released[socket]) return "ignored";
    if (!held.has(id) && held.size >= MAX_IDS) return "limit";
    held.add(id);
    this.owner.set(id, socket);
    return "registered";
  }

  release(socket: number): string[] {
    if (this.released[socket]) return [];
    this.released[socket] = true;
    const held = this.held[socket] ?? new Set<string>();
    const removed = [...held].filter((id) => this.owner.get(id) === socket);
    for (const id of removed) this.owner.delete(id);
    held.clear();
    return removed;
  }

  pendingOn(channel: number): ModelRequest[] {
    return this.requests.filter((request) => request.channel === channel && request.state === "pending");
  }

  request(id: string, abortable: boolean): ModelRequest {
    const channel = this.owner.get(id);
    const request: ModelRequest = {
      channel,
      requestId: undefined,
      abortable,
      deadline: Infinity,
      hardDeadline: Infinity,
      messages: 0,
      state: "no_channel",
    };
    if (channel !== undefined) {
      // The channel mints an id for every call, even one it then refuses.
      request.requestId = this.nextRequestId[channel] ?? 0;
      this.nextRequestId[channel] = request.requestId + 1;
      if (this.closed[channel]) request.state = "closed";
      else if (this.pendingOn(channel).length >= MAX_PENDING) request.state = "too_many";
      else {
        request.state = "pending";
        request.deadline = this.now + TIMEOUT_MS;
        request.hardDeadline = this.now + MAX_TIMEOUT_MS;
        this.written[channel] = (this.written[channel] ?? 0) + 1;
      }
    }
    this.requests.push(request);
    return request;
  }

  answer(request: ModelRequest): boolean {
    if (request.state !== "pending") return false;
    request.state = "answered";
    return true;
  }

  /** An abort and a cancel both tell the attach client with a cancel frame (v2). */
  abort(request: ModelRequest, state: "aborted" | "cancelled"): boolean {
    if (request.state !== "pending" || request.channel === undefined) return false;
    request.state = state;
    this.written[request.channel] = (this.written[request.channel] ?? 0) + 1;
    return true;
  }

  /** An interim message reaches a pending request and moves its silence deadline on, never past the overall one. */
  message(request: ModelRequest): boolean {
    if (request.state !== "pending") return false;
    request.messages += 1;
    request.deadline = this.now + TIMEOUT_MS;
    return true;
  }

  /** A timeout tells the attach client too (v2: a cancel frame), so the upstream stops working on it. */
  advance(ms: number): void {
    this.now += ms;
    for (const request of this.requests) {
      if (request.state === "pending" && Math.min(request.deadline, request.hardDeadline) <= this.now) {
        request.state = "timeout";
        if (request.channel !== undefined) this.written[request.channel] = (this.written[request.channel] ?? 0) + 1;
      }
    }
  }

  close(socket: number): number {
    this.closed[socket] = true;
    const pending = this.pendingOn(socket);
    for (const request of pending) request.state = "closed";
    return pending.length;
  }

  snapshot(): Snapshot {
    return {
      routes: RESPONSE_IDS.map((id) => this.owner.get(id) ?? null),
      sockets: this.held.map((held, socket) => ({
        released: this.released[socket] ?? false,
        ids: [...held].sort(),
        closed: this.closed[socket] ?? false,
        pending: this.pendingOn(socket).length,
        written: this.written[socket] ?? 0,
      })),
      timers: this.requests.filter((request) => request.state === "pending").length,
      requests: this.requests.map((request, index) => {
        const messages = request.messages;
        if (request.state === "pending") return { outcome: "pending", settlements: 0, messages };
        if (request.state === "answered") return { outcome: `answered ${index}`, settlements: 1, messages };
        return { outcome: `rejected ${REJECTION_CODE[request.state]}`, settlements: 1, messages };
      }),
    };
  }
}

// ── the system under test ───────────────────────────────────────────────────

interface Snapshot {
  routes: (number | null)[];
  sockets: { released: boolean; ids: string[]; closed: boolean; pending: number; written: number }[];
  timers: number;
  requests: { outcome: string; settlements: number; messages: number }[];
}

interface RealRequest {
  watched: Watched<ServerResponseFrame>;
  controller: AbortController | undefined;
  messages: number;
}

class System {
  readonly registry = new ReverseChannelRegistry();
  readonly frames: string[][] = [];
  readonly channels: ReverseChannel[] = [];
  readonly guards: ReverseAttachGuard[] = [];
  readonly requests: RealRequest[] = [];

  constructor() {
    for (let socket = 0; socket < SOCKETS; socket += 1) {
      const frames: string[] = [];
      const channel = new ReverseChannel({
        maxPending: MAX_PENDING,
        timeoutMs: TIMEOUT_MS,
        write: (frame) => void frames.push(frameText(frame)),
      });
      this.frames.push(frames);
      this.channels.push(channel);
      this.guards.push(new ReverseAttachGuard(this.registry, channel, { maxIds: MAX_IDS }));
    }
  }

  socket(index: number): { guard: ReverseAttachGuard; channel: ReverseChannel; frames: string[] } {
    const guard = this.guards[index];
    const channel = this.channels[index];
    const frames = this.frames[index];
    if (!guard || !channel || !frames) throw new Error(`no socket ${index}`);
    return { guard, channel, frames };
  }

  register(socket: number, id: string, viaHandle: boolean): RegisterResult {
    const { guard } = this.socket(socket);
    try {
      return (viaHandle ? guard.handle.register(id) : guard.register(id)) ? "registered" : "ignored";
    } catch (error) {
      if (error instanceof RegistrationLimitError) return "limit";
      throw error;
    }
  }

  snapshot(): Snapshot {
    return {
      routes: RESPONSE_IDS.map((id) => {
        const channel = this.registry.get(id);
        expect(this.registry.has(id)).toBe(channel !== undefined);
        return channel === undefined ? null : this.channels.indexOf(channel);
      }),
      sockets: this.guards.map((guard, socket) => ({
        released: guard.released,
        ids: [...guard.ids].sort(),
        closed: this.socket(socket).channel.closed,
        pending: this.socket(socket).channel.pending.size,
        written: this.socket(socket).frames.length,
      })),
      timers: vi.getTimerCount(),
      requests: this.requests.map(({ watched, messages }) => {
        const outcome = watched.outcome;
        if (outcome === undefined) return { outcome: "pending", settlements: watched.settlements, messages };
        if (outcome.kind === "resolved") {
          // Answers carry their request's index, so a mix-up between waiters shows.
          const result = "result" in outcome.value ? (outcome.value.result as { index?: number }) : {};
          return { outcome: `answered ${result.index ?? "?"}`, settlements: watched.settlements, messages };
        }
        const code = outcome.error instanceof ConduitError ? outcome.error.code : "not a ConduitError";
        return { outcome: `rejected ${code}`, settlements: watched.settlements, messages };
      }),
    };
  }
}

// ── one step ────────────────────────────────────────────────────────────────

function expectCancelFrame(system: System, target: ModelRequest): void {
  const frames = system.socket(target.channel ?? 0).frames;
  expect(JSON.parse(frames.at(-1) ?? "null")).toMatchObject({ type: "cancel", id: target.requestId });
}

/** What the generator reached over all runs; checked at the end so a weak generator fails loudly. */
const reached = new Set<string>();

function responseId(index: number): string {
  return RESPONSE_IDS[index % RESPONSE_IDS.length] ?? "resp_a";
}

function step(op: Op, model: Model, system: System): void {
  switch (op.kind) {
    case "register":
    case "reregister": {
      const id = responseId(op.id);
      let socket: number;
      if (op.kind === "register") socket = op.socket;
      else {
        const current = model.owner.get(id);
        socket = current === undefined ? op.shift : (current + op.shift) % SOCKETS;
        if (current !== undefined && !model.released[socket]) reached.add("re-registered by another socket");
      }
      const expected = model.register(socket, id);
      expect(system.register(socket, id, op.kind === "register" && op.viaHandle)).toBe(expected);
      reached.add(`register ${expected}`);
      return;
    }
    case "release": {
      const expected = model.release(op.socket);
      expect(system.socket(op.socket).guard.release().sort()).toEqual(expected.sort());
      return;
    }
    case "lookup": {
      const id = responseId(op.id);
      const owner = model.owner.get(id);
      expect(system.registry.get(id)).toBe(owner === undefined ? undefined : system.socket(owner).channel);
      return;
    }
    case "request": {
      const id = responseId(op.id);
      const index = model.requests.length;
      const expected = model.request(id, op.abortable);
      const controller = op.abortable ? new AbortController() : undefined;
      const init = {
        mcp: FS_MCP,
        method: "tools/call",
        params: { name: "echo", arguments: { index } },
        headers: { "x-objectiveai-response-id": id },
      };
      const real: RealRequest = {
        watched: undefined as unknown as Watched<ServerResponseFrame>,
        controller,
        messages: 0,
      };
      const options = {
        maxTimeoutMs: MAX_TIMEOUT_MS,
        onMessage: (message: Record<string, unknown>) => {
          // Interim messages carry their request's index too.
          if (message.index === index) real.messages += 1;
        },
        ...(controller ? { signal: controller.signal } : {}),
      };
      real.watched = watch(sendServerRequest(system.registry, id, init, options));
      system.requests.push(real);
      if (expected.state === "pending" && expected.channel !== undefined) {
        const frame = parseServerRequest(system.socket(expected.channel).frames.at(-1));
        expect(frame).toEqual({ type: "server_request", id: expected.requestId, ...init });
      }
      return;
    }
    case "answer": {
      const candidates = model.requests.filter((request) => request.requestId !== undefined);
      const target = candidates[op.pick % Math.max(candidates.length, 1)];
      if (target?.channel === undefined || target.requestId === undefined) return;
      const index = model.requests.indexOf(target);
      const frame: ServerResponseFrame = { type: "server_response", id: target.requestId, result: { index } };
      const expected = model.answer(target);
      expect(system.socket(target.channel).channel.deliver(frame)).toBe(expected);
      reached.add(expected ? "answer delivered" : "answer dropped");
      return;
    }
    case "abort": {
      const candidates = model.requests.filter((request) => request.abortable);
      const target = candidates[op.pick % Math.max(candidates.length, 1)];
      if (!target) return;
      const sent = model.abort(target, "aborted");
      system.requests[model.requests.indexOf(target)]?.controller?.abort();
      if (sent && target.channel !== undefined) expectCancelFrame(system, target);
      return;
    }
    case "cancel": {
      const candidates = model.requests.filter((request) => request.requestId !== undefined);
      const target = candidates[op.pick % Math.max(candidates.length, 1)];
      if (target?.channel === undefined || target.requestId === undefined) return;
      const expected = model.abort(target, "cancelled");
      expect(system.socket(target.channel).channel.cancel(target.requestId, "test")).toBe(expected);
      if (expected) expectCancelFrame(system, target);
      reached.add(expected ? "cancel sent" : "cancel after settle");
      return;
    }
    case "message": {
      const candidates = model.requests.filter((request) => request.requestId !== undefined);
      const target = candidates[op.pick % Math.max(candidates.length, 1)];
      if (target?.channel === undefined || target.requestId === undefined) return;
      const index = model.requests.indexOf(target);
      const expected = model.message(target);
      const message = { jsonrpc: "2.0" as const, method: "notifications/progress", index };
      expect(system.socket(target.channel).channel.deliverMessage(target.requestId, message)).toBe(expected);
      reached.add(expected ? "message delivered" : "message dropped");
      return;
    }
    case "advance": {
      model.advance(op.ms);
      vi.advanceTimersByTime(op.ms);
      return;
    }
    case "close": {
      expect(system.socket(op.socket).channel.close()).toBe(model.close(op.socket));
      return;
    }
  }
}

describe("registry, guards and pending requests against a reference model", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("agree after every step of random interleavings, and every request settles exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60, size: "max" }), async (ops) => {
        vi.useFakeTimers();
        try {
          const model = new Model();
          const system = new System();
          for (const op of ops) {
            step(op, model, system);
            await drainReactions();
            expect(system.snapshot()).toEqual(model.snapshot());
          }
          for (const request of model.requests) reached.add(request.state);

          // Tearing everything down leaves nothing behind: no waiter, no timer, no route.
          for (let socket = 0; socket < SOCKETS; socket += 1) {
            model.close(socket);
            model.release(socket);
            system.socket(socket).channel.close();
            system.socket(socket).guard.release();
          }
          await drainReactions();
          expect(system.snapshot()).toEqual(model.snapshot());
          expect(vi.getTimerCount()).toBe(0);
          expect(system.registry.size).toBe(0);
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: 200, seed: 20_240_611 },
    );

    expect([...reached].sort()).toEqual(
      [
        "aborted",
        "cancelled",
        "cancel sent",
        "cancel after settle",
        "message delivered",
        "message dropped",
        "answer delivered",
        "answer dropped",
        "answered",
        "closed",
        "no_channel",
        "pending",
        "re-registered by another socket",
        "register ignored",
        "register limit",
        "register registered",
        "timeout",
        "too_many",
      ].sort(),
    );
  });
});
