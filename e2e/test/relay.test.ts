// The relay of SPEC §5 (conduit.v2) end to end, with real parts only: the
// built API as a process, the built `conduit attach` CLI as a process (a mock
// agent swarm that stays alive), upstream MCP servers it serves (server-everything
// and the relay probe fixture, over stdio or Streamable HTTP), and a real MCP
// SDK Client in this process as the agent, dialling the API's loopback MCP
// listener with the routing header.
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  EmptyResultSchema,
  type CreateMessageResult,
  type LoggingMessageNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Agent, readAnswer, resultText, textOf, type Exchange, type Message } from "./helpers/agent.js";
import { stop, stopAll, type Child } from "../conformance/processes.mjs";
import {
  EVERYTHING,
  PROBE_MCP,
  UNDECLARED_MCP,
  assertBuilt,
  startApi,
  startCli,
  startHttpUpstream,
  stdioUpstreams,
  type Api,
  type Cli,
  type UpstreamKind,
} from "./helpers/stack.js";

const SAMPLING_TOOL = "trigger-sampling-request";
const samplingPrompt = (prompt: string) => `Resource ${SAMPLING_TOOL} context: ${prompt}`;

const isResponseTo = (id: unknown) => (message: Message) =>
  message.id === id && message.method === undefined && ("result" in message || "error" in message);
const methodsOf = (exchange: Exchange) => exchange.events.map((message) => message.method ?? "response");
const progressOf = (values: { progress: number; total?: number }[]) =>
  values.map((value) => `${value.progress}/${value.total}`);
const logData = (agent: Agent) =>
  agent.notifications
    .filter((message) => message.method === "notifications/message")
    .map((message) => String((message.params as LoggingMessageNotification["params"]).data));
const parseRecord = (text: string) => JSON.parse(text) as { key: string; requestId: number; reason: string };

let api: Api;

beforeAll(async () => {
  assertBuilt();
  api = await startApi();
}, 60_000);

afterAll(async () => {
  if (api !== undefined) await stop(api.child);
  await stopAll();
}, 60_000);

describe.each<UpstreamKind>(["stdio", "http"])("the relay through the tunnel, %s upstreams", (kind) => {
  /** Two agents (#0, #1) on one socket. */
  let cliA: Cli;
  /** One agent on another socket. */
  let cliB: Cli;
  const httpUpstreams: Child[] = [];
  const agents: Agent[] = [];

  beforeAll(async () => {
    let upstreams = stdioUpstreams();
    if (kind === "http") {
      const [everything, probe] = await Promise.all([startHttpUpstream("everything"), startHttpUpstream("probe")]);
      httpUpstreams.push(everything.child, probe.child);
      upstreams = { everything: everything.url, probe: probe.url };
    }
    [cliA, cliB] = await Promise.all([
      startCli(api, upstreams, `conduit attach A (${kind})`, 2),
      startCli(api, upstreams, `conduit attach B (${kind})`),
    ]);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
  });

  afterAll(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
    await Promise.all([cliA, cliB].filter(Boolean).map((cli) => cli.finish()));
    await Promise.all(httpUpstreams.map((child) => stop(child, { signal: "SIGINT" })));
  }, 60_000);

  async function open(
    tag: string,
    options: { cli?: Cli; index?: number; mcp?: string; roots?: { uri: string; name: string }[] } = {},
  ): Promise<Agent> {
    const cli = options.cli ?? cliA;
    const agent = await Agent.connect({
      mcpPort: api.mcpPort,
      responseId: cli.responseIds[options.index ?? 0]!,
      mcp: options.mcp ?? EVERYTHING,
      tag,
      ...(options.roots === undefined ? {} : { roots: options.roots }),
    });
    agents.push(agent);
    return agent;
  }

  /** Waits until the POST of `exchange` carried its final response (the tap reads a clone, a little behind). */
  async function finalOf(agent: Agent, exchange: Exchange): Promise<Message[]> {
    await agent.until(() => exchange.events.some(isResponseTo(exchange.sent?.id)), "the final response on the tap");
    return exchange.events;
  }

  it("progress notifications arrive in order, on the call's own stream, before its result, with the agent's token", async () => {
    const agent = await open("progress");
    const seen: string[] = [];
    const result = await agent.client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.4, steps: 4 } },
      undefined,
      { onprogress: (progress) => seen.push(`progress ${progress.progress}/${progress.total}`) },
    );
    seen.push("result");
    expect(seen).toEqual(["progress 1/4", "progress 2/4", "progress 3/4", "progress 4/4", "result"]);
    expect(resultText(result)).toContain("Steps: 4.");

    const post = agent.postOf("tools/call");
    const token = (post.sent?.params as { _meta: { progressToken: unknown } })._meta.progressToken;
    expect(post.contentType).toMatch(/^text\/event-stream/);
    // Only the progress and the response are asserted: a session-level message the upstream sends meanwhile
    // (server-everything's "Roots updated" log) may ride along, since the attach client gives a message that
    // names no request to the one call in flight (packages/client/src/upstream/jsonrpc-peer.ts).
    const events = (await finalOf(agent, post)).filter(
      (message) => message.method === "notifications/progress" || isResponseTo(post.sent?.id)(message),
    );
    expect(methodsOf({ ...post, events })).toEqual([...Array(4).fill("notifications/progress"), "response"]);
    // The attach client gave the upstream its own token; the agent gets its own back.
    for (const message of events.slice(0, 4)) expect(message.params).toMatchObject({ progressToken: token });
  });

  it("two calls in flight on one session each get their own progress, on their own stream", async () => {
    const agent = await open("two-calls");
    const progress: Record<number, { progress: number; total?: number }[]> = { 3: [], 5: [] };
    const call = (steps: 3 | 5) =>
      agent.client.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: steps / 10, steps } },
        undefined,
        { onprogress: (value) => progress[steps]!.push(value) },
      );
    const [three, five] = await Promise.all([call(3), call(5)]);
    expect(resultText(three)).toContain("Steps: 3.");
    expect(resultText(five)).toContain("Steps: 5.");
    expect(progressOf(progress[3]!)).toEqual(["1/3", "2/3", "3/3"]);
    expect(progressOf(progress[5]!)).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);

    for (const steps of [3, 5]) {
      const post = agent.postOf(
        "tools/call",
        (sent) => (sent.params as { arguments: { steps: number } }).arguments.steps === steps,
      );
      const token = (post.sent?.params as { _meta: { progressToken: unknown } })._meta.progressToken;
      const onStream = (await finalOf(agent, post)).filter((message) => message.method === "notifications/progress");
      expect(onStream.map((message) => (message.params as { progressToken: unknown }).progressToken)).toEqual(
        Array(steps).fill(token),
      );
    }
  });

  it("sampling/createMessage reaches the agent on the call's stream and its answer reaches the tool's result", async () => {
    const agent = await open("sampler");
    const result = await agent.client.callTool({
      name: SAMPLING_TOOL,
      arguments: { prompt: `p-${kind}`, maxTokens: 7 },
    });
    expect(agent.sampling).toHaveLength(1);
    const request = agent.sampling[0]!;
    expect(request.params).toMatchObject({ systemPrompt: "You are a helpful test server.", maxTokens: 7 });
    expect(textOf(request.params)).toBe(samplingPrompt(`p-${kind}`));
    expect(resultText(result)).toContain(`sampled by sampler: ${samplingPrompt(`p-${kind}`)}`);
    expect(resultText(result)).toContain('"model": "e2e-agent"');

    const events = await finalOf(agent, agent.postOf("tools/call"));
    const relayed = events.filter((message) => message.method === "sampling/createMessage");
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.id).toBe(request.id);
    expect(events.indexOf(relayed[0]!)).toBeLessThan(events.length - 1);
  });

  it("elicitation/create (form mode) reaches the agent and its answer reaches the tool's result", async () => {
    const agent = await open("elicit");
    const result = await agent.client.callTool({ name: "trigger-elicitation-request", arguments: {} });
    expect(agent.elicitations).toHaveLength(1);
    expect(agent.elicitations[0]!.params).toMatchObject({
      message: "Please provide inputs for the following fields:",
      requestedSchema: { type: "object", required: ["name"] },
    });
    expect(agent.elicitations[0]!.params.mode ?? "form").toBe("form");
    expect(resultText(result)).toContain("✅ User provided the requested information!");
    expect(resultText(result)).toContain("- Name: agent elicit");
    expect(resultText(result)).toContain("- Agreed to terms: true");
  });

  it("elicitation/create (URL mode) reaches the agent; the upstream's -32042 error passes through unchanged", async () => {
    const agent = await open("url-elicit");
    const url = "https://example.com/e2e-consent";
    const result = await agent.client.callTool({
      name: "trigger-url-elicitation",
      arguments: { url, elicitationId: `e2e-${kind}` },
    });
    expect(agent.elicitations.map((request) => request.params)).toEqual([
      expect.objectContaining({ mode: "url", url, elicitationId: `e2e-${kind}` }),
    ]);
    expect(resultText(result)).toContain("✅ User completed the URL elicitation flow.");
    expect(resultText(result)).toContain(`Elicitation ID: e2e-${kind}`);

    const failed = agent.client.callTool({
      name: "trigger-url-elicitation",
      arguments: { url, elicitationId: `e2e-error-${kind}`, errorPath: true },
    });
    await expect(failed).rejects.toMatchObject({
      code: -32042,
      data: { elicitations: [expect.objectContaining({ mode: "url", url: "https://modelcontextprotocol.io" })] },
    });
    expect(agent.postOf("tools/call").status).toBe(200);
  });

  it("roots/list is answered by the agent: during a call, and on the GET stream after roots/list_changed", async () => {
    const agent = await open("roots", { roots: [{ uri: "file:///e2e/first", name: "first" }] });
    await agent.getStreamOpen();
    const first = await agent.client.callTool({ name: "get-roots-list", arguments: {} });
    expect(resultText(first)).toContain("URI: file:///e2e/first");
    expect(agent.rootsRequests.length).toBeGreaterThanOrEqual(1);

    const answered = agent.rootsRequests.length;
    agent.roots = [{ uri: "file:///e2e/second", name: "second" }];
    await agent.client.sendRootsListChanged();
    // server-everything asks again and, once it has stored each answer, logs "Roots updated" (on the GET stream).
    const stored = () => logData(agent).filter((data) => data.startsWith("Roots updated")).length;
    await agent.until(
      () => agent.rootsRequests.length > answered && stored() >= agent.rootsRequests.length,
      "roots/list after roots/list_changed, answered and stored",
    );
    const onGet = new Set(
      agent.getStreams().flatMap((exchange) => exchange.events.filter((message) => message.method === "roots/list")),
    );
    const lateIds = agent.rootsRequests.slice(answered);
    expect([...onGet].some((message) => lateIds.includes(message.id!))).toBe(true);

    const second = await agent.client.callTool({ name: "get-roots-list", arguments: {} });
    expect(resultText(second)).toContain("URI: file:///e2e/second");
    expect(resultText(second)).not.toContain("file:///e2e/first");
  });

  it("logging/setLevel is forwarded and honoured: notifications/message arrive at or above the level only", async () => {
    const agent = await open("logs");
    await agent.getStreamOpen();
    await agent.client.setLoggingLevel("error");
    // server-everything logs each subscribe at level info.
    await agent.client.subscribeResource({ uri: `demo://e2e/quiet-${kind}` });
    await agent.client.setLoggingLevel("debug");
    await agent.client.subscribeResource({ uri: `demo://e2e/loud-${kind}` });
    await agent.until(
      () => logData(agent).some((data) => data.includes(`demo://e2e/loud-${kind}`)),
      "the info log of the second subscribe",
    );
    expect(logData(agent).filter((data) => data.includes("demo://e2e/"))).toEqual([
      expect.stringContaining(`Received Subscribe Resource request for URI: demo://e2e/loud-${kind}`),
    ]);
    const message = agent.notifications.find((entry) => JSON.stringify(entry.params ?? null).includes(`loud-${kind}`));
    expect(message?.params).toMatchObject({ level: "info" });
  });

  it("resources/subscribe, then notifications/resources/updated arrive on the session's GET stream", async () => {
    const agent = await open("subscriber");
    await agent.getStreamOpen();
    const uri = `demo://e2e/watched-${kind}`;
    await agent.client.subscribeResource({ uri });
    const started = await agent.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
    expect(resultText(started)).toContain("Started simulated resource updated notifications");
    const updatedOnGet = () =>
      agent
        .getStreams()
        .some((exchange) =>
          exchange.events.some(
            (message) =>
              message.method === "notifications/resources/updated" && (message.params as { uri?: string }).uri === uri,
          ),
        );
    // It sends one at once (during the call) and then one every 5 s, when no call runs.
    await agent.until(updatedOnGet, "notifications/resources/updated on the GET stream", 20_000);
    expect(
      agent.notifications.filter(
        (message) =>
          message.method === "notifications/resources/updated" && (message.params as { uri?: string }).uri === uri,
      ).length,
    ).toBeGreaterThanOrEqual(1);
    const stopped = await agent.client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
    expect(resultText(stopped)).toContain("Stopped simulated resource updates");
    await agent.client.unsubscribeResource({ uri });
  });

  it("tasks/* pass through: a task-augmented tools/call, tasks/get, tasks/list, tasks/result, tasks/cancel", async () => {
    const agent = await open("tasks");
    const tools = await agent.client.listTools();
    expect(tools.tools.find((tool) => tool.name === "simulate-research-query")?.execution).toEqual({
      taskSupport: "required",
    });
    const startTask = (topic: string) =>
      agent.client.request(
        {
          method: "tools/call",
          params: { name: "simulate-research-query", arguments: { topic }, task: { ttl: 60_000 } },
        },
        CreateTaskResultSchema,
      );
    const created = await startTask(`conduit ${kind}`);
    const taskId = created.task.taskId;
    expect(created.task.status).toBe("working");

    const status = await agent.client.experimental.tasks.getTask(taskId);
    expect(status.taskId).toBe(taskId);
    expect(["working", "completed"]).toContain(status.status);
    const listed = await agent.client.experimental.tasks.listTasks();
    expect(listed.tasks.map((task) => task.taskId)).toContain(taskId);

    const result = await agent.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(resultText(result)).toContain(`# Research Report: conduit ${kind}`);
    expect((await agent.client.experimental.tasks.getTask(taskId)).status).toBe("completed");

    const doomed = await startTask("to be cancelled");
    const cancelled = await agent.client.experimental.tasks.cancelTask(doomed.task.taskId);
    expect(cancelled).toMatchObject({ taskId: doomed.task.taskId, status: "cancelled" });
  });

  it("an upstream request queued for a task reaches the agent through tasks/result (input_required)", async () => {
    const agent = await open("task-input");
    agent.answerElicitation = () => ({ action: "accept", content: { interpretation: "snake" } });
    const created = await agent.client.request(
      {
        method: "tools/call",
        params: {
          name: "simulate-research-query",
          arguments: { topic: "python", ambiguous: true },
          task: { ttl: 60_000 },
        },
      },
      CreateTaskResultSchema,
    );
    const result = await agent.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    expect(agent.elicitations).toHaveLength(1);
    expect(agent.elicitations[0]!.params.message).toContain('The research query "python"');
    expect(resultText(result)).toContain("# Research Report: python (snake)");
    const onResultStream = agent
      .postOf("tasks/result")
      .events.filter((message) => message.method === "elicitation/create");
    expect(onResultStream.map((message) => message.id)).toEqual([agent.elicitations[0]!.id]);
  });

  it("a method the upstream does not know gets the upstream's own -32601 through the tunnel", async () => {
    const agent = await open("unknown-method");
    await expect(
      agent.client.request({ method: "e2e/no-such-method", params: {} }, EmptyResultSchema),
    ).rejects.toMatchObject({ code: -32601 });
    const post = agent.postOf("e2e/no-such-method");
    expect(post.status).toBe(200);
    const events = await finalOf(agent, post);
    expect(events.at(-1)).toMatchObject({ error: { code: -32601, message: "Method not found" } });
  });

  it("the agent's notifications/cancelled reaches the upstream with its own id; the same id on another session runs on", async () => {
    const a = await open("cancel-a", { mcp: PROBE_MCP });
    const b = await open("cancel-b", { mcp: PROBE_MCP });
    const keyA = `a-${kind}`;
    const keyB = `b-${kind}`;
    const controller = new AbortController();
    let startedA = (): void => undefined;
    let startedB = (): void => undefined;
    const bothStarted = Promise.all([
      new Promise<void>((resolve) => (startedA = resolve)),
      new Promise<void>((resolve) => (startedB = resolve)),
    ]);
    const callA = a.client.callTool({ name: "block", arguments: { key: keyA } }, undefined, {
      signal: controller.signal,
      onprogress: () => startedA(),
    });
    const callB = b.client.callTool({ name: "block", arguments: { key: keyB } }, undefined, {
      onprogress: () => startedB(),
    });
    callA.catch(() => undefined);
    await bothStarted;
    const postA = a.postOf("tools/call");
    const postB = b.postOf("tools/call");
    // Both agents numbered their requests alike: the same agent-side id on two sessions of one agent.
    expect(postA.sent?.id).toBe(postB.sent?.id);

    controller.abort(`agent-abort-${kind}`);
    await expect(callA).rejects.toThrow();
    const record = parseRecord(
      resultText(await a.client.callTool({ name: "await-cancelled", arguments: { key: keyA } })),
    );
    expect(record.reason).toContain("the agent cancelled");
    expect(record.reason).toContain(`agent-abort-${kind}`);
    // MCP sends no response for a cancelled request: its stream just ends.
    await a.until(() => postA.ended, "the cancelled call's stream ending");
    expect(postA.events.some(isResponseTo(postA.sent?.id))).toBe(false);

    await b.client.callTool({ name: "release", arguments: { key: keyB } });
    expect(resultText(await callB)).toBe(`released ${keyB}`);
    const recorded = JSON.parse(resultText(await b.client.callTool({ name: "cancellations", arguments: {} }))) as {
      key: string;
    }[];
    expect(recorded.filter((entry) => entry.key === keyB)).toEqual([]);
  });

  it("the agent's HTTP request going away cancels the upstream request", async () => {
    const agent = await open("gone", { mcp: PROBE_MCP });
    const key = `gone-${kind}`;
    const controller = new AbortController();
    const response = await agent.post(
      {
        jsonrpc: "2.0",
        id: 9_001,
        method: "tools/call",
        params: { name: "block", arguments: { key }, _meta: { progressToken: "gone" } },
      },
      { signal: controller.signal },
    );
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("notifications/progress")) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended before the block started: ${text}`);
      text += value;
    }
    controller.abort();
    const record = parseRecord(
      resultText(await agent.client.callTool({ name: "await-cancelled", arguments: { key } })),
    );
    expect(record.reason).toContain("the HTTP client went away");
  });

  it("two requests with the same progress token on one session never collide: the attach client remaps them", async () => {
    const agent = await open("same-token");
    // A careless agent reuses one token for two calls in flight; each call must still get exactly its own progress.
    const call = (id: number, steps: number) =>
      agent
        .post({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: {
            name: "trigger-long-running-operation",
            arguments: { duration: steps / 10, steps },
            _meta: { progressToken: "same" },
          },
        })
        .then(readAnswer);
    const [two, four] = await Promise.all([call(9_101, 2), call(9_102, 4)]);
    for (const [messages, id, steps] of [
      [two, 9_101, 2],
      [four, 9_102, 4],
    ] as const) {
      const progress = messages.filter((message) => message.method === "notifications/progress");
      expect(progress.map((message) => message.params)).toEqual(
        Array.from({ length: steps }, (_, index) =>
          expect.objectContaining({ progressToken: "same", progress: index + 1, total: steps }),
        ),
      );
      expect(messages.at(-1)).toMatchObject({
        id,
        result: { content: [{ text: expect.stringContaining(`Steps: ${steps}.`) }] },
      });
    }
  });

  it("ping from the upstream reaches the agent during a call (on its stream) and outside any call (on the GET stream)", async () => {
    const agent = await open("pinged", { mcp: PROBE_MCP });
    await agent.getStreamOpen();
    expect(resultText(await agent.client.callTool({ name: "ping-agent", arguments: {} }))).toBe("pong");
    const during = await finalOf(agent, agent.postOf("tools/call"));
    expect(during.filter((message) => message.method === "ping")).toHaveLength(1);

    const key = `ping-${kind}`;
    await agent.client.notification({ method: "notifications/e2e/ping-me", params: { key } });
    await agent.until(
      () => agent.getStreams().some((exchange) => exchange.events.some((message) => message.method === "ping")),
      "a ping on the GET stream",
    );
    const outcome = JSON.parse(resultText(await agent.client.callTool({ name: "await-ping", arguments: { key } })));
    expect(outcome).toEqual({ ok: true });
  });

  it("the upstream withdrawing its own request reaches the agent as notifications/cancelled with the id the agent saw", async () => {
    const agent = await open("withdrawn", { mcp: PROBE_MCP });
    await agent.getStreamOpen();
    let withdrawn: unknown;
    agent.answerElicitation = (_params, signal) =>
      new Promise((resolve) =>
        signal.addEventListener("abort", () => {
          withdrawn = signal.reason;
          agent.changed();
          resolve({ action: "cancel" });
        }),
      );
    const key = `withdraw-${kind}`;
    const call = agent.client.callTool({ name: "elicit-until-withdrawn", arguments: { key } });
    await agent.until(() => agent.elicitations.length === 1, "the elicitation reaching the agent");
    expect(agent.elicitations[0]!.params.message).toBe(`withdrawable ${key}`);
    await agent.client.callTool({ name: "withdraw", arguments: { key } });
    await agent.until(() => withdrawn !== undefined, "the agent's handler being cancelled");
    expect(String(withdrawn)).toContain("withdrawn by e2e");
    expect(resultText(await call)).toBe("withdrawn");
    const cancels = agent.exchanges.flatMap((exchange) =>
      exchange.events.filter((message) => message.method === "notifications/cancelled"),
    );
    expect(cancels.map((message) => (message.params as { requestId: unknown }).requestId)).toEqual([
      agent.elicitations[0]!.id,
    ]);
  });

  it("many concurrent calls on several sessions of three agents and two attached CLIs never cross", async () => {
    const sessions = await Promise.all([
      open("A0-s1", { cli: cliA, index: 0 }),
      open("A0-s2", { cli: cliA, index: 0 }),
      open("A1-s1", { cli: cliA, index: 1 }),
      open("B0-s1", { cli: cliB, index: 0 }),
      open("B0-s2", { cli: cliB, index: 0 }),
    ]);
    const tags = ["A0-s1", "A0-s2", "A1-s1", "B0-s1", "B0-s2"];
    // With several calls in flight on a session, an upstream request belongs to no one call: it goes to the GET stream.
    await Promise.all(sessions.map((agent) => agent.getStreamOpen()));
    await Promise.all(
      sessions.map(async (agent, index) => {
        const tag = tags[index]!;
        const progress: { progress: number; total?: number }[] = [];
        const [echoes, long, sampled] = await Promise.all([
          Promise.all(
            [1, 2, 3].map((n) => agent.client.callTool({ name: "echo", arguments: { message: `${tag}-${n}` } })),
          ),
          agent.client.callTool(
            { name: "trigger-long-running-operation", arguments: { duration: 0.3, steps: 3 } },
            undefined,
            { onprogress: (value) => progress.push(value) },
          ),
          agent.client.callTool({ name: SAMPLING_TOOL, arguments: { prompt: `prompt-${tag}` } }),
        ]);
        expect(echoes.map(resultText)).toEqual([1, 2, 3].map((n) => `Echo: ${tag}-${n}`));
        expect(resultText(long)).toContain("Steps: 3.");
        expect(progressOf(progress)).toEqual(["1/3", "2/3", "3/3"]);
        expect(resultText(sampled)).toContain(`sampled by ${tag}: ${samplingPrompt(`prompt-${tag}`)}`);
        for (const other of tags.filter((candidate) => candidate !== tag))
          expect(resultText(sampled)).not.toContain(other);
        expect(agent.sampling.map((request) => textOf(request.params))).toEqual([samplingPrompt(`prompt-${tag}`)]);
      }),
    );
  });

  it("an answer for an upstream request already answered, another agent's, on another mcp, or never asked is refused 400; nothing else is disturbed", async () => {
    const owner = await open("owner", { cli: cliA, index: 0 });
    const intruder = await open("intruder", { cli: cliA, index: 1 });
    const answer = owner.answerSampling;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    owner.answerSampling = async (params) => {
      await held;
      return answer(params);
    };
    const call = owner.client.callTool({ name: SAMPLING_TOOL, arguments: { prompt: "owned" } });
    await owner.until(() => owner.sampling.length === 1, "the sampling request reaching its agent");
    const minted = owner.sampling[0]!.id;
    const forged: CreateMessageResult = {
      role: "assistant",
      model: "forged",
      content: { type: "text", text: "forged answer" },
    };
    const refused = async (response: Response) => {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    };

    // Another agent on the same socket may not answer it; the entry stays for its owner.
    await refused(await intruder.post({ jsonrpc: "2.0", id: minted, result: forged }));
    // Nor may an agent on another socket, whatever its session.
    await refused(
      await owner.post({ jsonrpc: "2.0", id: minted, result: forged }, { responseId: cliB.responseIds[0]! }),
    );
    // Nor may its own agent on another mcp.
    await refused(await owner.post({ jsonrpc: "2.0", id: minted, result: forged }, { mcp: PROBE_MCP }));
    // An id nobody asked.
    await refused(await owner.post({ jsonrpc: "2.0", id: `${String(minted)}-never`, result: forged }));

    release();
    const result = await call;
    expect(resultText(result)).toContain(`sampled by owner: ${samplingPrompt("owned")}`);
    expect(resultText(result)).not.toContain("forged");
    // Answered already.
    await refused(await owner.post({ jsonrpc: "2.0", id: minted, result: forged }));

    // Nothing else is disturbed: the same session relays another upstream request, the intruder's session works.
    const again = await owner.client.callTool({ name: SAMPLING_TOOL, arguments: { prompt: "again" } });
    expect(resultText(again)).toContain(`sampled by owner: ${samplingPrompt("again")}`);
    expect(resultText(await intruder.client.callTool({ name: "echo", arguments: { message: "still here" } }))).toBe(
      "Echo: still here",
    );
  });

  it("a POST to an mcp the request did not declare is refused 404 -32001 before anything is forwarded", async () => {
    const response = await fetch(`http://127.0.0.1:${api.mcpPort}/${UNDECLARED_MCP}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "x-objectiveai-response-id": cliA.responseIds[0]!,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "e2e", version: "1" } },
      }),
    });
    expect(response.status).toBe(404);
    // Refused before the body is read, so the JSON-RPC id is null.
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32001 } });
    // No upstream was started for it.
    expect(cliA.child.stderr.lines.filter((line) => line.includes(UNDECLARED_MCP) && line.includes("started"))).toEqual(
      [],
    );
  });

  it("ends cleanly: every agent finishes on a notify, the CLIs exit 0 and every upstream process they started is gone", async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
    const pids = [...cliA.upstreamPids(), ...cliB.upstreamPids()];
    if (kind === "stdio") expect(pids.length).toBeGreaterThan(0);
    const [a, b] = await Promise.all([cliA.finish(), cliB.finish()]);
    expect(a).toEqual({ exit: { code: 0, signal: null }, leftover: [] });
    expect(b).toEqual({ exit: { code: 0, signal: null }, leftover: [] });
  });
});

describe("deadlines through the tunnel (REVERSE_CHANNEL_TIMEOUT_MS=2000, HTTP upstreams)", () => {
  const TIMEOUT_MS = 2_000;
  let shortApi: Api;
  let cli: Cli;
  const upstreams: Child[] = [];
  const agents: Agent[] = [];

  beforeAll(async () => {
    // HTTP upstreams: nothing is spawned inside a forwarded initialize, which the short timeout also bounds.
    const [everything, probe] = await Promise.all([startHttpUpstream("everything"), startHttpUpstream("probe")]);
    upstreams.push(everything.child, probe.child);
    shortApi = await startApi({ REVERSE_CHANNEL_TIMEOUT_MS: String(TIMEOUT_MS) });
    cli = await startCli(shortApi, { everything: everything.url, probe: probe.url }, "conduit attach (deadlines)");
  }, 60_000);

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
  });

  afterAll(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
    if (cli !== undefined) await cli.finish();
    if (shortApi !== undefined) await stop(shortApi.child);
    await Promise.all(upstreams.map((child) => stop(child, { signal: "SIGINT" })));
  }, 60_000);

  const open = async (tag: string, mcp: string) => {
    const agent = await Agent.connect({ mcpPort: shortApi.mcpPort, responseId: cli.responseIds[0]!, mcp, tag });
    agents.push(agent);
    return agent;
  };

  it("progress extends a call's deadline: a call that outlives the timeout but keeps reporting progress completes", async () => {
    const agent = await open("patient", EVERYTHING);
    const progress: number[] = [];
    // 5 s in all, a progress notification every 250 ms: far past the 2 s timeout, never silent for long.
    const result = await agent.client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 5, steps: 20 } },
      undefined,
      { onprogress: (value) => progress.push(value.progress) },
    );
    expect(resultText(result)).toContain("Steps: 20.");
    expect(progress).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it("a call silent past the timeout fails -32003 (504), and the upstream is told to stop working on it", async () => {
    const agent = await open("impatient", PROBE_MCP);
    const key = "silent";
    // The SDK client reports a non-2xx answer as a StreamableHTTPError with the HTTP status and the body.
    await expect(agent.client.callTool({ name: "block", arguments: { key } })).rejects.toMatchObject({
      code: 504,
      message: expect.stringContaining('"code":-32003'),
    });
    expect(agent.postOf("tools/call").status).toBe(504);
    // The route gave up on the request: the upstream should not go on working on it (MCP: a sender that
    // times out SHOULD send notifications/cancelled). await-cancelled answers at once once the upstream got
    // that notification; otherwise it waits, until this API's 2 s timeout fails it with -32003 as well.
    const answer = await agent.client.callTool({ name: "await-cancelled", arguments: { key } }).then(
      (result) => resultText(result),
      (error: unknown) => `await-cancelled failed: ${String(error)}`,
    );
    expect(answer).toContain(`"key":"${key}"`);
    const record = parseRecord(answer);
    expect(record.key).toBe(key);
    expect(record.reason).toContain("timed out: no answer within 2000 ms");
  });
});
