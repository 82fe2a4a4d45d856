import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { INITIALIZE_RESULT, SESSION_ID, closeHarnesses, startHarness, type Harness } from "./helpers.js";

const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await closeHarnesses();
});

async function connect(
  harness: Harness,
  path = "/objectiveai",
  extraHeaders: Record<string, string> = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${harness.listener.url}${path}`), {
    requestInit: { headers: { "x-objectiveai-response-id": harness.responseId, ...extraHeaders } },
  });
  const client = new Client({ name: "agent", version: "1.0.0" }, { capabilities: { roots: { listChanged: true } } });
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

describe("the official MCP SDK client through the route", () => {
  it("initializes: InitializeResult passes through verbatim and the session id is set", async () => {
    const harness = await startHarness();
    const { client, transport } = await connect(harness, "/objectiveai", {
      "x-objectiveai-arguments": JSON.stringify({ workspace: "/tmp/w", verbose: null }),
    });

    expect(client.getServerVersion()).toEqual(INITIALIZE_RESULT.serverInfo);
    expect(client.getServerCapabilities()).toEqual(INITIALIZE_RESULT.capabilities);
    expect(client.getInstructions()).toBe("be nice");
    expect(transport.sessionId).toBe(SESSION_ID);

    const init = await harness.attach.frame("initialize");
    expect(init.mcp).toBe("objectiveai");
    const params = init.params as { arguments: Record<string, string | null>; initialize: Record<string, unknown> };
    expect(params.arguments).toEqual({ workspace: "/tmp/w", verbose: null });
    expect(params.initialize).toMatchObject({ clientInfo: { name: "agent", version: "1.0.0" } });
    expect(typeof params.initialize.protocolVersion).toBe("string");
    expect(init.headers["x-objectiveai-response-id"]).toBe(harness.responseId);
    expect(init.headers["mcp-session-id"]).toBeUndefined();
  });

  it("forwards every generic method with its exact params and the session id header", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness, "/acme/files/1.0.0/fs");

    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toEqual(["echo"]);
    const called = await client.callTool({ name: "echo", arguments: { text: "hi", n: 2 } });
    expect(called.content).toEqual([{ type: "text", text: 'echo {"text":"hi","n":2}' }]);
    expect((await client.listResources()).resources).toEqual([{ uri: "file:///a.txt", name: "a" }]);
    expect((await client.readResource({ uri: "file:///a.txt" })).contents).toEqual([
      { uri: "file:///a.txt", text: "hello" },
    ]);
    expect((await client.listPrompts()).prompts).toEqual([{ name: "greet" }]);
    expect((await client.getPrompt({ name: "greet", arguments: { who: "you" } })).messages).toHaveLength(1);
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "greet" },
      argument: { name: "who", value: "wo" },
    });
    expect(completion.completion.values).toEqual(["world"]);
    await client.setLoggingLevel("warning");

    const attach = harness.attach;
    const expectParams = (method: string, params: unknown): void => {
      const frame = attach.last(method);
      expect(frame, method).toBeDefined();
      expect(frame?.mcp).toBe("acme/files/1.0.0/fs");
      expect(frame?.params).toEqual(params);
      expect(frame?.headers["mcp-session-id"]).toBe(SESSION_ID);
      expect(frame?.headers["x-objectiveai-response-id"]).toBe(harness.responseId);
    };
    expectParams("tools/list", undefined);
    expectParams("tools/call", { name: "echo", arguments: { text: "hi", n: 2 } });
    expectParams("resources/list", undefined);
    expectParams("resources/read", { uri: "file:///a.txt" });
    expectParams("prompts/list", undefined);
    expectParams("prompts/get", { name: "greet", arguments: { who: "you" } });
    expectParams("completion/complete", {
      ref: { type: "ref/prompt", name: "greet" },
      argument: { name: "who", value: "wo" },
    });
    expectParams("logging/setLevel", { level: "warning" });
  });

  it("answers ping locally: the attach client never sees it", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness);
    await expect(client.ping()).resolves.toEqual({});
    expect(harness.attach.methods()).not.toContain("ping");
  });

  it("passes an upstream's JSON-RPC error through unchanged", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness);
    const failure = await client.callTool({ name: "fail", arguments: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(McpError);
    expect((failure as McpError).code).toBe(4711);
    expect((failure as McpError).data).toEqual({ why: "because" });
    expect((failure as McpError).message).toContain("the upstream refused");
  });

  it("forwards notifications (notifications/initialized, client notifications)", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness);
    const initialized = await harness.attach.frame("notifications/initialized");
    expect(initialized.headers["mcp-session-id"]).toBe(SESSION_ID);

    await client.sendRootsListChanged();
    const frame = await harness.attach.frame("notifications/roots/list_changed");
    expect(frame.mcp).toBe("objectiveai");
    expect(frame.params).toBeUndefined();
  });

  it("receives list_changed over the GET stream the SDK opens after initialize", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness);
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await vi.waitFor(() => expect(harness.listeners.subscriberCount(harness.responseId)).toBe(1));
    harness.listeners.publish(harness.responseId, (await harness.attach.frame("initialize")).mcp, "tools");
    await changed;
    await client.close();
    await vi.waitFor(() => expect(harness.listeners.keyCount).toBe(0));
  });

  it("terminates the session with DELETE", async () => {
    const harness = await startHarness();
    const { transport } = await connect(harness);
    await transport.terminateSession();
    const frame = await harness.attach.frame("session/terminate");
    expect(frame.headers["mcp-session-id"]).toBe(SESSION_ID);
    expect(transport.sessionId).toBeUndefined();
  });
});
