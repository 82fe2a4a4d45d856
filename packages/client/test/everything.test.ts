import { ConduitErrorCode, JsonRpcErrorCode } from "@conduit/protocol";
import { afterEach, describe, expect, test } from "vitest";
import { AGENT_INITIALIZE } from "./helpers/fake-api.js";
import { EVERYTHING_BIN, childPids, everythingSpec, isAlive } from "./helpers/processes.js";
import { bodyDeclaring, startHarness, stopAll } from "./helpers/session.js";

const MCP = "objectiveai";
/** Declared by the body, but no upstream is configured for it. */
const UNCONFIGURED = "acme/files/1.0.0/fs";

afterEach(stopAll);

async function everything() {
  const harness = await startHarness({ body: bodyDeclaring([MCP, UNCONFIGURED]), mcps: { [MCP]: everythingSpec } });
  const { sessionId, result } = await harness.conn.initialize(MCP);
  return { ...harness, sessionId, initializeResult: result };
}

describe("server-everything over stdio", () => {
  test("initialize answers with the upstream's own InitializeResult and a minted session id", async () => {
    const { conn, sessionId, initializeResult } = await everything();
    expect(initializeResult.serverInfo).toEqual({
      name: "mcp-servers/everything",
      title: "Everything Reference Server",
      version: "2.0.0",
    });
    expect(initializeResult.protocolVersion).toBe(AGENT_INITIALIZE.protocolVersion);
    expect(typeof initializeResult.instructions).toBe("string");
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(conn.protocol).toBe("conduit.v1");
    expect(conn.invalidFrames).toEqual([]);
  });

  test("tools/list and tools/call (text, image, tool error) pass through verbatim", async () => {
    const { conn, sessionId } = await everything();
    const list = await conn.call(MCP, sessionId, "tools/list", {});
    const names = (list.result as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "get-sum", "get-tiny-image"]));

    const echo = await conn.call(MCP, sessionId, "tools/call", { name: "echo", arguments: { message: "hi there" } });
    expect(echo.result).toEqual({ content: [{ type: "text", text: "Echo: hi there" }] });

    const image = await conn.call(MCP, sessionId, "tools/call", { name: "get-tiny-image", arguments: {} });
    const content = (image.result as { content: { type: string; mimeType?: string; data?: string }[] }).content;
    const picture = content.find((item) => item.type === "image");
    expect(picture?.mimeType).toBe("image/png");
    expect(
      Buffer.from(picture?.data ?? "", "base64")
        .subarray(1, 4)
        .toString("latin1"),
    ).toBe("PNG");

    const failed = await conn.call(MCP, sessionId, "tools/call", { name: "get-sum", arguments: { a: "one" } });
    expect(failed.error).toBeUndefined();
    expect(failed.result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: expect.stringContaining("get-sum") }],
    });
  });

  test("resources/list + resources/read and prompts/list + prompts/get", async () => {
    const { conn, sessionId } = await everything();
    const resources = await conn.call(MCP, sessionId, "resources/list", {});
    const first = (resources.result as { resources: { uri: string; mimeType?: string }[] }).resources[0];
    expect(first?.uri).toMatch(/^demo:\/\//);

    const read = await conn.call(MCP, sessionId, "resources/read", { uri: first?.uri });
    const contents = (read.result as { contents: { uri: string; text?: string }[] }).contents;
    expect(contents[0]?.uri).toBe(first?.uri);
    expect(contents[0]?.text?.length).toBeGreaterThan(0);

    const prompts = await conn.call(MCP, sessionId, "prompts/list", {});
    expect((prompts.result as { prompts: { name: string }[] }).prompts.map((p) => p.name)).toContain("simple-prompt");
    const prompt = await conn.call(MCP, sessionId, "prompts/get", { name: "simple-prompt" });
    expect(prompt.result).toEqual({
      messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt without arguments." } }],
    });
  });

  test("an upstream JSON-RPC error passes back unchanged", async () => {
    const { conn, sessionId } = await everything();
    const missing = await conn.call(MCP, sessionId, "prompts/get", { name: "no-such-prompt" });
    expect(missing.error).toEqual({
      code: JsonRpcErrorCode.InvalidParams,
      message: "MCP error -32602: Prompt no-such-prompt not found",
    });
    const unknown = await conn.call(MCP, sessionId, "no/such-method", {});
    expect(unknown.error).toEqual({ code: JsonRpcErrorCode.MethodNotFound, message: "Method not found" });
  });

  test("an unknown, missing or other-mcp session id is -32001 (the route answers it 404, so clients re-initialize)", async () => {
    const { conn, sessionId } = await everything();
    const expected = { code: ConduitErrorCode.NoReverseChannel, message: "unknown or terminated Mcp-Session-Id" };
    expect((await conn.call(MCP, "no-such-session", "tools/list", {})).error).toEqual(expected);
    expect((await conn.request(MCP, "tools/list", {})).error).toEqual(expected);
    expect((await conn.call(UNCONFIGURED, sessionId, "tools/list", {})).error).toEqual(expected);
    // The header name is matched case-insensitively.
    const mixedCase = await conn.request(MCP, "tools/list", {}, { "Mcp-Session-Id": sessionId });
    expect(mixedCase.error).toBeUndefined();
  });

  test("an mcp without a configured upstream is -32004", async () => {
    const { conn } = await everything();
    const answer = await conn.request(UNCONFIGURED, "initialize", {
      arguments: {},
      initialize: AGENT_INITIALIZE,
    });
    expect(answer.error).toEqual({
      code: ConduitErrorCode.UpstreamFailed,
      message: `no upstream configured for mcp ${UNCONFIGURED}`,
    });
  });

  test("malformed initialize params are -32602", async () => {
    const { conn } = await everything();
    const answer = await conn.request(MCP, "initialize", { arguments: { flag: 3 }, initialize: AGENT_INITIALIZE });
    expect(answer.error?.code).toBe(JsonRpcErrorCode.InvalidParams);
  });

  test("notifications are forwarded as notifications and answered with {}", async () => {
    const { conn, sessionId } = await everything();
    const initialized = await conn.call(MCP, sessionId, "notifications/initialized");
    expect(initialized).toEqual({ result: {} });
    const rootsChanged = await conn.call(MCP, sessionId, "notifications/roots/list_changed");
    expect(rootsChanged).toEqual({ result: {} });
    const cancelled = await conn.call(MCP, sessionId, "notifications/cancelled", {
      requestId: 1,
      reason: "agent gave up",
    });
    expect(cancelled).toEqual({ result: {} });
    const unknownSession = await conn.call(MCP, "nope", "notifications/roots/list_changed");
    expect(unknownSession.error?.code).toBe(ConduitErrorCode.NoReverseChannel);
    // The upstream is still healthy afterwards.
    const echo = await conn.call(MCP, sessionId, "tools/call", { name: "echo", arguments: { message: "still here" } });
    expect(echo.result).toEqual({ content: [{ type: "text", text: "Echo: still here" }] });
  });

  test("each initialize gets its own upstream process; session/terminate ends it and is idempotent", async () => {
    const { conn, sessionId } = await everything();
    const [firstPid] = childPids(EVERYTHING_BIN);
    const second = await conn.initialize(MCP);
    expect(second.sessionId).not.toBe(sessionId);
    const pids = childPids(EVERYTHING_BIN);
    expect(pids).toHaveLength(2);
    const secondPid = pids.find((pid) => pid !== firstPid) as number;

    expect(await conn.call(MCP, second.sessionId, "session/terminate")).toEqual({ result: {} });
    expect(isAlive(secondPid)).toBe(false);
    expect(isAlive(firstPid as number)).toBe(true);
    expect((await conn.call(MCP, second.sessionId, "tools/list", {})).error?.code).toBe(
      ConduitErrorCode.NoReverseChannel,
    );
    expect(await conn.call(MCP, second.sessionId, "session/terminate")).toEqual({ result: {} });
    // The first session is untouched.
    expect((await conn.call(MCP, sessionId, "tools/list", {})).error).toBeUndefined();
  });

  test("close() shuts every upstream process down before `closed` resolves", async () => {
    const { conn, session } = await everything();
    await conn.initialize(MCP);
    const pids = childPids(EVERYTHING_BIN);
    expect(pids).toHaveLength(2);
    await session.close();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await session.closed).toEqual({ kind: "abnormal", code: 1000, reason: "closed by client" });
  });

  test("the API closing the socket shuts every upstream process down", async () => {
    const { conn, session } = await everything();
    const pids = childPids(EVERYTHING_BIN);
    expect(pids).toHaveLength(1);
    conn.close(1000);
    expect(await session.closed).toEqual({ kind: "finished", code: 1000 });
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
