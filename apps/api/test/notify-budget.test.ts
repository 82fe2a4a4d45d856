import { describe, expect, it } from "vitest";
import type { Chunk } from "@conduit/protocol";
import { DECLARE_EVERYTHING, ECHO, chunkOf, mockBody, openRawSocket, useSharedApi } from "./helpers.js";

const BUDGET = 100;

const api = useSharedApi({ MAX_NOTIFY_BYTES_PER_AGENT: String(BUDGET) });

/** What a well-behaved upstream MCP server answers, as the attach client relays it. */
function upstreamAnswer(method: string): unknown {
  if (method === "initialize") {
    return {
      result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "t", version: "1" } },
      mcp_session_id: "sess-budget",
    };
  }
  if (method === "tools/call") return { content: [{ type: "text", text: "called" }], isError: false };
  return {};
}

describe("MAX_NOTIFY_BYTES_PER_AGENT", () => {
  it("accepts notifies within the budget (delivered ones count), refuses the one past it with 413, and the agent runs on", async () => {
    // ready → wait for notify #1 → tool call (held by this client while more notifies arrive) → done.
    const body = mockBody([{ content: "ready" }, { await_notification: 600_000 }, ECHO("x"), { content: "done" }], {
      ...DECLARE_EVERYTHING,
    });
    const socket = await openRawSocket(api().wsUrl, JSON.stringify(body));
    socket.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      // tools/call is held (the agent waits in it) until the test answers it.
      if (frame.type !== "server_request" || frame.method === "tools/call") return;
      socket.send({ type: "server_response", id: frame.id, result: upstreamAnswer(String(frame.method)) });
    });
    const ready = chunkOf(
      await socket.waitForFrame((frame) => chunkOf(frame)?.delta !== undefined, "the first delta"),
    )!;

    let nextId = 0;
    const notify = async (content: string): Promise<Record<string, unknown>> => {
      const id = `n${(nextId += 1)}`;
      socket.send({
        type: "client_request",
        id,
        method: "agent_completion_notify",
        params: { response_id: ready.id, content },
      });
      return socket.waitForFrame((frame) => frame.type === "client_response" && frame.id === id, `answer to ${id}`);
    };

    // 30 bytes each (é is 2 UTF-8 bytes): the budget counts UTF-8 bytes.
    const thirty = (tag: string): string => `#${tag}${"é".repeat(14)}`;
    expect(Buffer.byteLength(thirty("1"), "utf8")).toBe(30);

    expect(await notify(thirty("1"))).toMatchObject({ ok: true });
    await socket.waitForFrame((frame) => chunkOf(frame)?.notification !== undefined, "notification 1 delivered");
    const heldCall = await socket.waitForFrame(
      (frame) => frame.type === "server_request" && frame.method === "tools/call",
      "the tools/call",
    );
    // #1 is delivered (in the conversation) and still counts: 30 + 30 + 30 = 90 ≤ 100.
    expect(await notify(thirty("2"))).toMatchObject({ ok: true });
    expect(await notify(thirty("3"))).toMatchObject({ ok: true });
    const refused = await notify(thirty("4"));
    expect(refused).toMatchObject({ error: { code: 413 } });
    expect(String((refused.error as { message: string }).message)).toMatch(/MAX_NOTIFY_BYTES_PER_AGENT/);
    // The refused notify took nothing: 10 more bytes still fit exactly.
    expect(await notify("0123456789")).toMatchObject({ ok: true });
    expect(await notify("x")).toMatchObject({ error: { code: 413 } });

    // The agent runs on: the held call is answered, it delivers the queued notifies and finishes.
    socket.send({ type: "server_response", id: heldCall.id, result: upstreamAnswer("tools/call") });
    expect((await socket.closed).code).toBe(1000);
    const chunks = socket.frames.map(chunkOf).filter((chunk): chunk is Chunk => chunk !== undefined);
    expect(chunks.filter((chunk) => chunk.notification).map((chunk) => chunk.notification!.content)).toEqual([
      thirty("1"),
      thirty("2"),
      thirty("3"),
      "0123456789",
    ]);
    expect(
      chunks
        .filter((chunk) => chunk.delta)
        .map((chunk) => chunk.delta!.content)
        .join(""),
    ).toBe("readydone");
    expect(chunks.at(-1)).toMatchObject({ finish_reason: "stop" });
  });
});
