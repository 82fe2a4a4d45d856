import { describe, expect, it } from "vitest";
import type { Chunk } from "@conduit/protocol";
import {
  DECLARE_EVERYTHING,
  ECHO,
  EXTERNAL_MCP_CLIENT,
  byIndex,
  contentOf,
  exitWithin,
  isAlive,
  mockBody,
  openRawSocket,
  spawnNode,
  startCli,
  useSharedApi,
} from "./helpers.js";

const api = useSharedApi();

async function metricsText(): Promise<string> {
  const response = await fetch(`${api().baseUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe("WebSocket transport with the attach CLI", () => {
  it("runs a swarm of 3 agents whose tool calls reach server-everything through the tunnel", async () => {
    const body = mockBody([ECHO("swarm-hello"), { content: "all done" }], {
      n: 3,
      client_objectiveai_mcp: { mcps: ["objectiveai"], arguments: { objectiveai: { tag: "alpha", verbose: null } } },
    });
    const cli = startCli(api().wsUrl, body);
    const exit = await exitWithin(cli);
    expect(exit.code, cli.stderr.text()).toBe(0);

    const chunks = cli.chunks();
    const agents = byIndex(chunks);
    expect([...agents.keys()].sort()).toEqual([0, 1, 2]);
    const ids = new Set(chunks.map((chunk) => chunk.id));
    expect(ids.size).toBe(3);
    for (const [index, own] of agents) {
      // One id per index, and no other index uses it.
      const id = own[0]!.id;
      expect(own.every((chunk) => chunk.id === id && chunk.object === "agent.completion.chunk")).toBe(true);
      expect(chunks.filter((chunk) => chunk.id === id).every((chunk) => chunk.index === index)).toBe(true);

      const call = own.find((chunk) => chunk.tool_call)!.tool_call!;
      expect(call).toMatchObject({ mcp: "objectiveai", name: "echo", arguments: { message: "swarm-hello" } });
      const result = own.find((chunk) => chunk.tool_result)!.tool_result!;
      expect(result).toEqual({
        tool_call_id: call.id,
        content: [{ type: "text", text: "Echo: swarm-hello" }],
        is_error: false,
      });
      expect(contentOf(own)).toBe("all done");
      const finals = own.filter((chunk) => chunk.finish_reason);
      expect(finals).toHaveLength(1);
      expect(finals[0]).toMatchObject({
        finish_reason: "stop",
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      });
      expect(own.at(-1)).toBe(finals[0]);
    }

    // One upstream session (one stdio child) per agent, started with the declared arguments as flags,
    // and every child is gone once the CLI exited.
    const upstreams = cli.upstreams();
    expect(upstreams).toHaveLength(3);
    for (const upstream of upstreams) {
      expect(upstream.argv).toEqual(["--tag", "alpha", "--verbose"]);
      expect(isAlive(upstream.pid)).toBe(false);
    }

    const metrics = await metricsText();
    for (const name of [
      "conduit_open_sockets",
      "conduit_registered_ids",
      "conduit_pending_requests",
      "conduit_forwarded_requests_total",
      "conduit_forward_duration_seconds",
      "conduit_sse_subscribers",
      "conduit_timeouts_total",
    ]) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
    expect(metrics).toMatch(/^conduit_forwarded_requests_total\{method="tools\/call",outcome="ok"\} 3$/m);
    expect(metrics).toMatch(/^conduit_forward_duration_seconds_count\{method="tools\/call"\} 3$/m);
    expect(metrics).toMatch(/^conduit_open_sockets 0$/m);
    expect(metrics).toMatch(/^conduit_registered_ids 0$/m);

    // Logs: one "mcp request" line per forwarded call with method, outcome and duration, every
    // response id shortened — no log line anywhere holds a full id (it is a capability).
    // Info lines are written in batches (LOG_BATCH_MS): wait for the last one to arrive.
    const mcpCalls = (): Record<string, unknown>[] =>
      api()
        .logs()
        .filter((line) => line.msg === "mcp request" && line.method === "tools/call");
    await expect.poll(() => mcpCalls().length).toBe(3);
    await expect
      .poll(() =>
        api()
          .logs()
          .some((line) => line.msg === "swarm finished"),
      )
      .toBe(true);
    const logs = api().logs();
    const calls = mcpCalls();
    expect(calls).toHaveLength(3);
    for (const line of calls) {
      expect(line).toMatchObject({ mcp: "objectiveai", outcome: "ok", ms: expect.any(Number) });
      expect(String(line.responseId).endsWith("…")).toBe(true);
    }
    const everyLine = JSON.stringify(logs);
    for (const id of ids) expect(everyLine).not.toContain(id);
    const finished = logs.find((line) => line.msg === "swarm finished" && line.transport === "ws");
    expect(finished?.req).toEqual(expect.any(String));
  });

  it("echoes X-Request-Id and logs each HTTP request with it", async () => {
    const response = await fetch(`${api().baseUrl}/healthz`, { headers: { "x-request-id": "trace-42" } });
    expect(response.headers.get("x-request-id")).toBe("trace-42");
    const fresh = await fetch(`${api().baseUrl}/healthz`);
    const freshId = fresh.headers.get("x-request-id");
    expect(freshId).toMatch(/^[A-Za-z0-9_-]{8}$/);
    await expect
      .poll(() =>
        api()
          .logs()
          .find((line) => line.msg === "request" && line.req === "trace-42"),
      )
      .toMatchObject({ method: "GET", path: "/healthz", status: 200 });
  });

  it("delivers a notify line to the waiting agent, echoed as a notification chunk", async () => {
    const body = mockBody(
      [{ content: "ready" }, { await_notification: 20_000 }, { content: "after" }],
      DECLARE_EVERYTHING,
    );
    const cli = startCli(api().wsUrl, body);
    await cli.waitForChunk((chunk) => chunk.delta !== undefined, "the first delta");
    cli.notify("#0 hello");
    const notification = await cli.waitForChunk((chunk) => chunk.notification !== undefined, "the notification chunk");
    expect(notification.notification).toEqual({ content: "hello" });
    const exit = await exitWithin(cli);
    expect(exit.code, cli.stderr.text()).toBe(0);

    const chunks = cli.chunks();
    const position = chunks.indexOf(chunks.find((chunk) => chunk.notification)!);
    expect(contentOf(chunks.slice(0, position))).toBe("ready");
    expect(contentOf(chunks.slice(position))).toBe("after");
    expect(chunks.at(-1)).toMatchObject({ finish_reason: "stop" });
    // The agent never used an mcp, so no upstream was started.
    expect(cli.upstreams()).toHaveLength(0);
  });

  it("answers 409 to a notify for an agent that already finished, 404 for an id not in the stream", async () => {
    const socket = await openRawSocket(
      api().wsUrl,
      JSON.stringify(mockBody([{ content: "ready" }, { await_notification: 20_000 }], { n: 2 })),
    );
    const chunk = (frame: Record<string, unknown>): Chunk | undefined =>
      frame.type === "chunk" ? (frame.data as Chunk) : undefined;
    await socket.waitForFrame((frame) => chunk(frame)?.index === 1, "agent 1's first chunk");
    const first = chunk(await socket.waitForFrame((frame) => chunk(frame)?.index === 0, "agent 0's first chunk"))!;
    const second = chunk(socket.frames.find((frame) => chunk(frame)?.index === 1)!)!;

    socket.send({
      type: "client_request",
      id: 1,
      method: "agent_completion_notify",
      params: { response_id: first.id, content: "go" },
    });
    await socket.waitForFrame(
      (frame) => frame.type === "client_response" && frame.id === 1,
      "the first client_response",
    );
    await socket.waitForFrame(
      (frame) => chunk(frame)?.index === 0 && chunk(frame)?.finish_reason === "stop",
      "agent 0's final chunk",
    );

    socket.send({
      type: "client_request",
      id: 2,
      method: "agent_completion_notify",
      params: { response_id: first.id, content: "again" },
    });
    const late = await socket.waitForFrame(
      (frame) => frame.type === "client_response" && frame.id === 2,
      "the second client_response",
    );
    expect(late).toMatchObject({ ok: false, error: { code: 409 } });

    socket.send({
      type: "client_request",
      id: 3,
      method: "agent_completion_notify",
      params: { response_id: "resp_not_ours", content: "x" },
    });
    const foreign = await socket.waitForFrame(
      (frame) => frame.type === "client_response" && frame.id === 3,
      "the third client_response",
    );
    expect(foreign).toMatchObject({ ok: false, error: { code: 404 } });

    socket.send({
      type: "client_request",
      id: 4,
      method: "agent_completion_notify",
      params: { response_id: second.id, content: "go" },
    });
    expect(await socket.closed).toEqual({ code: 1000, reason: "" });
    const finals = socket.frames.map(chunk).filter((item) => item?.finish_reason);
    expect(finals.map((item) => item?.finish_reason)).toEqual(["stop", "stop"]);
    expect(
      socket.frames
        .map(chunk)
        .filter((item) => item?.notification)
        .map((item) => item?.notification?.content),
    ).toEqual(["go", "go"]);
  });

  it("lets an external MCP client process reach the user's MCP server with a live response id", async () => {
    const body = mockBody([{ content: "ready" }, { await_notification: 60_000 }], DECLARE_EVERYTHING);
    const cli = startCli(api().wsUrl, body);
    const first = await cli.waitForChunk(() => true, "the first chunk");

    const metrics = await metricsText();
    expect(metrics).toMatch(/^conduit_open_sockets 1$/m);
    expect(metrics).toMatch(/^conduit_registered_ids 1$/m);

    const external = spawnNode([
      EXTERNAL_MCP_CLIENT,
      `${api().mcpUrl}/objectiveai`,
      first.id,
      "echo",
      JSON.stringify({ message: "external" }),
    ]);
    const exit = await exitWithin(external);
    expect(exit.code, external.stderr.text()).toBe(0);
    const output = JSON.parse(external.stdout.lines[0]!) as { tools: string[]; result: { content: unknown[] } };
    expect(output.tools).toContain("echo");
    expect(output.result.content).toEqual([{ type: "text", text: "Echo: external" }]);
    expect(cli.upstreams()).toHaveLength(1);

    // A made-up id is refused before anything is forwarded.
    const stranger = spawnNode([EXTERNAL_MCP_CLIENT, `${api().mcpUrl}/objectiveai`, "resp_unknown", "echo", "{}"]);
    expect((await exitWithin(stranger)).code).toBe(1);
    expect(stranger.stderr.text()).toContain("-32001");

    cli.notify(`${first.id} bye`);
    expect((await exitWithin(cli)).code).toBe(0);
    expect(cli.chunks().at(-1)).toMatchObject({ id: first.id, finish_reason: "stop" });
  });

  it("streams an is_error tool_result for a tool call to an undeclared mcp", async () => {
    const body = mockBody(
      [{ tool_calls: [{ mcp: "acme/files/1.0.0/fs", name: "read", arguments: {} }] }],
      DECLARE_EVERYTHING,
    );
    const cli = startCli(api().wsUrl, body);
    expect((await exitWithin(cli)).code).toBe(0);
    const result = cli.chunks().find((chunk) => chunk.tool_result)!.tool_result!;
    expect(result.is_error).toBe(true);
    expect(JSON.stringify(result.content)).toContain("acme/files/1.0.0/fs");
    expect(JSON.stringify(result.content)).toContain("not declared");
    expect(cli.chunks().at(-1)).toMatchObject({ finish_reason: "stop" });
  });
});
