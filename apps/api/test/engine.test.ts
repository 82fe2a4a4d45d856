import { describe, expect, it, vi } from "vitest";
import type { Chunk, McpKind } from "@conduit/protocol";
import { ChunkFactory } from "../src/engine/chunk-factory.js";
import { ElicitationDesk } from "../src/engine/elicitations.js";
import { Inbox, MAX_QUEUED_NOTIFICATIONS } from "../src/engine/inbox.js";
import { samplingChatMessages } from "../src/engine/openai-sampling.js";
import { ToolProgressStream } from "../src/engine/tool-progress.js";
import { MAX_DELTA_UNITS, contentSlices } from "../src/engine/content-slices.js";
import { NotifyError, RunningAgents } from "../src/engine/running-agents.js";
import { SseParser } from "../src/engine/sse-parser.js";
import { FUNCTION_NAME, buildToolNames, mcpAlias } from "../src/engine/tool-names.js";
import { createAuthenticator } from "../src/auth.js";
import { UnaryAggregate } from "../src/routes/unary-aggregate.js";
import type { IncomingMessage } from "node:http";

const kind = (text: string): McpKind => text as McpKind;

/** A desk whose chunks are collected, and its emit resolved at once (or held by `gate`). */
function desk(options: { maxOpen?: number; timeoutMs?: number } = {}): { desk: ElicitationDesk; chunks: Chunk[] } {
  const chunks: Chunk[] = [];
  return {
    chunks,
    desk: new ElicitationDesk({
      maxOpen: options.maxOpen ?? 4,
      timeoutMs: options.timeoutMs ?? 600_000,
      chunks: new ChunkFactory("resp_a", 0, () => 1),
      emit: (chunk) => {
        chunks.push(chunk);
        return Promise.resolve();
      },
    }),
  };
}

const mailbox = (inbox: Inbox) => ({ inbox, elicitations: desk().desk });

const QUESTION = { mcp: kind("objectiveai"), mode: "form" as const, message: "Name?", toolCallId: "call_1" };

/** No lone surrogate (String#isWellFormed is ES2024, past this package's lib). */
const wellFormed = (text: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe("tool names", () => {
  it("names tools <alias>__<tool> and maps them back", () => {
    expect(mcpAlias(kind("objectiveai"))).toBe("objectiveai");
    expect(mcpAlias(kind("acme/files/1.0.0/fs"))).toBe("fs");
    const names = buildToolNames([
      { mcp: kind("objectiveai"), tool: "echo" },
      { mcp: kind("acme/files/1.0.0/fs"), tool: "read" },
    ]);
    expect([...names.keys()]).toEqual(["objectiveai__echo", "fs__read"]);
    expect(names.get("fs__read")).toEqual({ mcp: "acme/files/1.0.0/fs", tool: "read" });
  });

  it("keeps names valid and unambiguous for collisions, odd characters and long names", () => {
    const targets = [
      { mcp: kind("acme/files/1.0.0/fs"), tool: "read" },
      { mcp: kind("other/files/2.0.0/fs"), tool: "read" },
      { mcp: kind("objectiveai"), tool: "get.thing" },
      { mcp: kind("objectiveai"), tool: "get_thing" },
      { mcp: kind("objectiveai"), tool: "x".repeat(100) },
      { mcp: kind("objectiveai"), tool: `${"x".repeat(100)}y` },
    ];
    const names = buildToolNames(targets);
    expect(names.size).toBe(targets.length);
    for (const name of names.keys()) expect(name).toMatch(FUNCTION_NAME);
    for (const target of targets) expect([...names.values()]).toContain(target);
    expect(names.has("fs__read")).toBe(true);
    expect(names.has("objectiveai__get_thing")).toBe(true);
  });
});

describe("SseParser", () => {
  it("assembles events split anywhere, with any line ending", () => {
    const text = 'data: {"a":1}\r\n\r\n: comment\n\ndata: first\ndata: second\n\nevent: x\rdata: [DONE]\r\r';
    for (let cut = 0; cut <= text.length; cut += 1) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()];
      expect(events).toEqual(['{"a":1}', "first\nsecond", "[DONE]"]);
    }
  });

  it("keeps a \\r\\n split around an empty piece as one line end", () => {
    // An empty piece (an empty body chunk decodes to "") must not forget the pending \r.
    const parser = new SseParser();
    const events = [...parser.push("data: a\r"), ...parser.push(""), ...parser.push("\ndata: b\r\n\r\n")];
    expect([...events, ...parser.end()]).toEqual(["a\nb"]);
  });

  it("flushes a last event without a blank line at end()", () => {
    const parser = new SseParser();
    expect(parser.push("data: tail")).toEqual([]);
    expect(parser.end()).toEqual(["tail"]);
  });
});

describe("agents", () => {
  it("splits small content into up to 3 deltas on code points", () => {
    const split = (text: string): string[] => [...contentSlices(text)];
    expect(split("hello world").join("")).toBe("hello world");
    expect(split("hello world").length).toBe(3);
    expect(split("")).toEqual([""]);
    expect(split("😀😀😀😀")).toEqual(["😀😀", "😀😀"]);
    expect(split("a😀b")).toEqual(["a😀", "b"]);
    for (const text of ["😀", "😀😀😀", "x😀😀😀😀y", "é😀", "a\uD800b"]) {
      const pieces = split(text);
      expect(pieces.join("")).toBe(text);
      expect(pieces.length).toBeLessThanOrEqual(3);
      expect(pieces.every((piece) => wellFormed(piece) || !wellFormed(text))).toBe(true);
    }
  });

  it("slices big content into pieces of at most MAX_DELTA_UNITS, never splitting a surrogate pair", () => {
    // Astral characters placed so that every slice edge falls inside a pair, or right next to one.
    for (const shift of [0, 1, 2, 3]) {
      const text = "a".repeat(MAX_DELTA_UNITS - 1 + shift) + "😀".repeat(MAX_DELTA_UNITS * 2) + "z".repeat(shift);
      const pieces = [...contentSlices(text)];
      expect(pieces.join("")).toBe(text);
      expect(pieces.length).toBeGreaterThan(3);
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(MAX_DELTA_UNITS);
        expect(piece.length).toBeGreaterThan(0);
        expect(wellFormed(piece)).toBe(true);
      }
    }
    // A small bound exercises the same edges densely.
    const dense = "😀a😀😀bc😀".repeat(50);
    for (const bound of [2, 3, 4, 5]) {
      const pieces = [...contentSlices(dense, bound)];
      expect(pieces.join("")).toBe(dense);
      expect(pieces.every((piece) => piece.length <= bound && piece.length > 0 && wellFormed(piece))).toBe(true);
    }
  });

  it("wakes an inbox waiter on push and answers 409 once the agent is gone", async () => {
    const running = new RunningAgents();
    const inbox = new Inbox();
    running.add("resp_a", mailbox(inbox));
    const waiting = inbox.wait(60_000, new AbortController().signal);
    running.notify("resp_a", "hi");
    expect(await waiting).toBe(true);
    expect(inbox.drain()).toEqual(["hi"]);
    running.remove("resp_a");
    inbox.close();
    expect(() => running.notify("resp_a", "late")).toThrow(NotifyError);
    try {
      running.notify("resp_a", "late");
    } catch (err) {
      expect((err as NotifyError).code).toBe(409);
    }
  });

  it("refuses a notify with 429 once an agent holds MAX_QUEUED_NOTIFICATIONS undelivered, and takes more after a drain", () => {
    const running = new RunningAgents();
    const inbox = new Inbox();
    running.add("resp_a", mailbox(inbox));
    for (let i = 0; i < MAX_QUEUED_NOTIFICATIONS; i += 1) running.notify("resp_a", `n${i}`);
    expect(() => running.notify("resp_a", "one too many")).toThrow(expect.objectContaining({ code: 429 }));
    expect(inbox.size).toBe(MAX_QUEUED_NOTIFICATIONS);
    expect(inbox.drain()).toHaveLength(MAX_QUEUED_NOTIFICATIONS);
    running.notify("resp_a", "after the drain");
    expect(inbox.drain()).toEqual(["after the drain"]);
  });

  it("refuses a notify with 413 once the agent's retained notify bytes (queued + delivered, UTF-8) would pass the budget", () => {
    const running = new RunningAgents({ maxNotifyBytesPerAgent: 10 });
    const inbox = new Inbox();
    running.add("resp_a", mailbox(inbox));
    running.notify("resp_a", "ééé"); // 6 bytes
    expect(inbox.drain()).toEqual(["ééé"]);
    running.notify("resp_a", "abcd"); // 10 bytes: exactly the budget
    expect(inbox.retainedBytes).toBe(10);
    expect(() => running.notify("resp_a", "x")).toThrow(expect.objectContaining({ code: 413 }));
    expect(inbox.drain()).toEqual(["abcd"]);
    // Delivered messages stay in the conversation: draining gives nothing back.
    expect(() => running.notify("resp_a", "x")).toThrow(expect.objectContaining({ code: 413 }));
    expect(inbox.retainedBytes).toBe(10);
    expect(running.notify("resp_a", "")).toBeUndefined();
  });

  it("stops waiting on abort", async () => {
    const controller = new AbortController();
    const waiting = new Inbox().wait(60_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
  });
});

describe("auth", () => {
  const req = (authorization?: string): IncomingMessage =>
    ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

  it("accepts only the listed bearer keys", () => {
    const check = createAuthenticator(["alpha", "beta"]);
    expect(check(req("Bearer alpha"))).toBe(true);
    expect(check(req("bearer beta"))).toBe(true);
    expect(check(req("Bearer gamma"))).toBe(false);
    expect(check(req("Bearer alph"))).toBe(false);
    expect(check(req("alpha"))).toBe(false);
    expect(check(req())).toBe(false);
    expect(createAuthenticator([])(req())).toBe(true);
  });
});

describe("UnaryAggregate", () => {
  it("folds chunks per agent, sorted by index", () => {
    const aggregate = new UnaryAggregate(100);
    const base = { object: "agent.completion.chunk" as const, created: 100 };
    aggregate.add({ ...base, id: "b", index: 1, delta: { content: "x" } });
    aggregate.add({ ...base, id: "a", index: 0, notification: { content: "n" } });
    aggregate.add({ ...base, id: "a", index: 0, delta: { content: "y" } });
    aggregate.add({
      ...base,
      id: "a",
      index: 0,
      finish_reason: "error",
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      error: { code: 500, message: "boom" },
    });
    const response = aggregate.toResponse();
    expect(response.agents.map((agent) => agent.id)).toEqual(["a", "b"]);
    expect(response.agents[0]).toMatchObject({
      content: "y",
      notifications: ["n"],
      finish_reason: "error",
      error: { code: 500, message: "boom" },
    });
    expect(response.agents[1]).toMatchObject({ content: "x", finish_reason: null, usage: null });
  });

  it("writes, piece by piece, exactly the JSON of toResponse()", async () => {
    const aggregate = new UnaryAggregate(100);
    const base = { object: "agent.completion.chunk" as const, created: 100 };
    for (const piece of ['he said "hi"\n', "😀", "\u0001 é", ""]) {
      aggregate.add({ ...base, id: "b", index: 1, delta: { content: piece } });
    }
    aggregate.add({ ...base, id: "a", index: 0, notification: { content: "n" } });
    aggregate.add({
      ...base,
      id: "a",
      index: 0,
      finish_reason: "stop",
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    aggregate.add({
      ...base,
      id: "b",
      index: 1,
      finish_reason: "error",
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      error: { code: "x", message: "y" },
    });
    const pieces: string[] = [];
    expect(await aggregate.writeTo({ write: (text) => (pieces.push(text), Promise.resolve(true)) })).toBe(true);
    expect(pieces.length).toBeGreaterThan(4);
    expect(pieces.join("")).toBe(JSON.stringify(aggregate.toResponse()));
    expect(await new UnaryAggregate(1).writeTo({ write: () => Promise.resolve(true) })).toBe(true);
    const gone = new UnaryAggregate(1);
    gone.add({ ...base, id: "a", index: 0, delta: { content: "x" } });
    expect(await gone.writeTo({ write: () => Promise.resolve(false) })).toBe(false);
  });
});

describe("elicitations", () => {
  it("streams the question, takes the user's answer once, then 409; a foreign id is 404", async () => {
    const { desk: elicitations, chunks } = desk();
    const answer = elicitations.ask(
      { ...QUESTION, requestedSchema: { type: "object", properties: { name: { type: "string" } } } },
      new AbortController().signal,
    );
    await vi.waitFor(() => expect(chunks).toHaveLength(1));
    const asked = chunks[0]!.elicitation!;
    expect(asked).toEqual({
      id: expect.stringMatching(/^elic_[A-Za-z0-9_-]{22}$/),
      tool_call_id: "call_1",
      mcp: "objectiveai",
      mode: "form",
      message: "Name?",
      requested_schema: { type: "object", properties: { name: { type: "string" } } },
    });
    expect(() => elicitations.respond("elic_other", "accept", undefined)).toThrow(
      expect.objectContaining({ code: 404 }),
    );
    elicitations.respond(asked.id, "accept", { name: "Ada" });
    expect(await answer).toEqual({ action: "accept", content: { name: "Ada" } });
    // The result chunk is out before the upstream hears the answer.
    expect(chunks[1]!.elicitation_result).toEqual({ id: asked.id, action: "accept", source: "user" });
    expect(() => elicitations.respond(asked.id, "decline", undefined)).toThrow(expect.objectContaining({ code: 409 }));
    expect(elicitations.openCount).toBe(0);
  });

  it("refuses one more than maxOpen with -32005, answers cancel on timeout, abort and close", async () => {
    const { desk: elicitations, chunks } = desk({ maxOpen: 2, timeoutMs: 50 });
    const aborter = new AbortController();
    const first = elicitations.ask(QUESTION, aborter.signal);
    const second = elicitations.ask(QUESTION, new AbortController().signal);
    await expect(elicitations.ask(QUESTION, new AbortController().signal)).rejects.toMatchObject({ code: -32005 });
    aborter.abort();
    expect(await first).toEqual({ action: "cancel" });
    expect(await second).toEqual({ action: "cancel" });
    const results = chunks.filter((chunk) => chunk.elicitation_result).map((chunk) => chunk.elicitation_result!.source);
    expect(results).toEqual(["cancelled", "timeout"]);

    const { desk: closing, chunks: closingChunks } = desk();
    const open = closing.ask(QUESTION, new AbortController().signal);
    await closing.close();
    expect(await open).toEqual({ action: "cancel" });
    expect(closingChunks.map((chunk) => chunk.elicitation_result?.source)).toEqual([undefined, "cancelled"]);
    expect(await closing.ask(QUESTION, new AbortController().signal)).toEqual({ action: "cancel" });
  });

  it("drops content from a decline", async () => {
    const { desk: elicitations, chunks } = desk();
    const answer = elicitations.ask(QUESTION, new AbortController().signal);
    await vi.waitFor(() => expect(chunks).toHaveLength(1));
    elicitations.respond(chunks[0]!.elicitation!.id, "decline", { ignored: true });
    expect(await answer).toEqual({ action: "decline" });
  });

  it("answers 409 for a finished agent through RunningAgents", () => {
    const running = new RunningAgents();
    expect(() => running.respondElicitation("resp_gone", "elic_x", "cancel", undefined)).toThrow(
      expect.objectContaining({ code: 409 }),
    );
  });
});

describe("tool progress", () => {
  it("streams progress in order and, while the transport is busy, keeps only the latest waiting", async () => {
    const sent: Chunk[] = [];
    let release: (() => void) | undefined;
    const stream = new ToolProgressStream("call_1", new ChunkFactory("resp_a", 0, () => 1), (chunk) => {
      sent.push(chunk);
      return new Promise<void>((resolve) => (release = resolve));
    });
    stream.push({ progress: 1, total: 5 });
    stream.push({ progress: 2, total: 5 });
    stream.push({ progress: 3, total: 5, message: "three" });
    expect(sent.map((chunk) => chunk.tool_progress)).toEqual([{ tool_call_id: "call_1", progress: 1, total: 5 }]);
    const drained = stream.drained();
    release!();
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]!.tool_progress).toEqual({ tool_call_id: "call_1", progress: 3, total: 5, message: "three" });
    release!();
    await drained;
    expect(sent).toHaveLength(2);
  });
});

describe("sampling messages for Chat Completions", () => {
  it("puts the system prompt first, joins text, and turns images into data URLs", () => {
    expect(
      samplingChatMessages({
        systemPrompt: "be brief",
        maxTokens: 10,
        messages: [
          { role: "user", content: { type: "text", text: "hello" } },
          {
            role: "user",
            content: [
              { type: "text", text: "what is this?" },
              { type: "image", data: "AAAA", mimeType: "image/png" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
        ],
      }),
    ).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hello" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      { role: "assistant", content: "a\nb" },
    ]);
  });
});
