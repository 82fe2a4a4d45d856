import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DECLARE_EVERYTHING, cleanup, contentOf, exitWithin, startApi, startCli, type Api } from "./helpers.js";

/** What the stub saw: each request's body and authorization header. */
interface Seen {
  authorization: string | undefined;
  body: {
    model: string;
    stream: boolean;
    stream_options?: unknown;
    max_tokens?: number;
    temperature?: number;
    messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }[];
    tools?: {
      type: string;
      function: { name: string; description?: string; parameters: { properties?: Record<string, unknown> } };
    }[];
  };
}

const seen: Seen[] = [];
let stub: Server;
let api: Api;
let flakyFailures = 0;

function sse(res: ServerResponse, events: unknown[]): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
  res.end("data: [DONE]\n\n");
}

const choice = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({
  id: "chatcmpl-stub",
  object: "chat.completion.chunk",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** The only stub the tests allow: an OpenAI-compatible /chat/completions endpoint, scripted by model name. */
async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as Seen["body"];
  seen.push({ authorization: req.headers.authorization, body });
  const toolMessage = body.messages.find((message) => message.role === "tool");

  if (!body.stream) {
    // A sampling request (one JSON completion): it answers with what it was asked.
    const asked = body.messages.at(-1)?.content ?? "";
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: "chatcmpl-sample",
        object: "chat.completion",
        model: `${body.model}-v1`,
        choices: [{ index: 0, message: { role: "assistant", content: `Sampled: ${asked}` }, finish_reason: "length" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    );
    return;
  }
  if (body.model === "sampler" && !toolMessage) {
    sse(res, [
      choice(
        {
          tool_calls: [
            {
              index: 0,
              id: "call_sampler",
              type: "function",
              function: {
                name: "objectiveai__trigger-sampling-request",
                arguments: '{"prompt":"tell me","maxTokens":7}',
              },
            },
          ],
        },
        "tool_calls",
      ),
    ]);
    return;
  }
  if (body.model === "flaky" && flakyFailures === 0) {
    flakyFailures += 1;
    res
      .writeHead(500, { "content-type": "application/json" })
      .end(JSON.stringify({ error: { message: "stub exploded" } }));
    return;
  }
  if (body.model === "endless-error") {
    // An error status whose body is longer than the agent reports, and never ends.
    res.writeHead(503, { "content-type": "application/json" });
    res.write(`{"error":{"message":"overloaded","padding":"${"x".repeat(5000)}`);
    return;
  }
  if (body.model === "looping") {
    sse(res, [
      choice(
        {
          tool_calls: [
            {
              index: 0,
              id: `call_${seen.length}`,
              type: "function",
              function: { name: "objectiveai__echo", arguments: "{}" },
            },
          ],
        },
        "tool_calls",
      ),
    ]);
    return;
  }
  if (body.model === "tool-user" && !toolMessage) {
    // The call arrives in fragments, as real endpoints stream it.
    sse(res, [
      choice({ role: "assistant", content: "Let me check. " }),
      choice({
        tool_calls: [
          { index: 0, id: "call_stub_1", type: "function", function: { name: "objectiveai__echo", arguments: "" } },
        ],
      }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '{"message":' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '"from-llm"}' } }] }, "tool_calls"),
      {
        id: "chatcmpl-stub",
        object: "chat.completion.chunk",
        choices: [],
        usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      },
    ]);
    return;
  }
  const said = toolMessage ? `The tool said: ${toolMessage.content ?? ""}` : "Plain answer.";
  sse(res, [
    choice({ role: "assistant", content: said.slice(0, 9) }),
    choice({ content: said.slice(9) }, "stop"),
    {
      id: "chatcmpl-stub",
      object: "chat.completion.chunk",
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    },
  ]);
}

beforeAll(async () => {
  stub = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  const { port } = stub.address() as AddressInfo;
  api = await startApi({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1/`, OPENAI_API_KEY: "stub-key" });
});

afterEach(async () => {
  await cleanup([api]);
});

afterAll(async () => {
  await cleanup();
  stub.closeAllConnections();
  stub.close();
});

describe("openai upstream", () => {
  it("offers the MCP tools as functions, runs the call through the tunnel and streams the answer", async () => {
    seen.length = 0;
    const body = {
      agent: { upstream: "openai", model: "tool-user" },
      messages: [{ role: "user", content: "echo something" }],
      ...DECLARE_EVERYTHING,
    };
    const cli = startCli(api.wsUrl, body);
    const exit = await exitWithin(cli);
    expect(exit.code, cli.stderr.text()).toBe(0);

    const chunks = cli.chunks();
    const call = chunks.find((chunk) => chunk.tool_call)!.tool_call!;
    expect(call).toEqual({ id: "call_stub_1", mcp: "objectiveai", name: "echo", arguments: { message: "from-llm" } });
    const result = chunks.find((chunk) => chunk.tool_result)!.tool_result!;
    expect(result).toEqual({
      tool_call_id: "call_stub_1",
      content: [{ type: "text", text: "Echo: from-llm" }],
      is_error: false,
    });
    expect(contentOf(chunks)).toBe("Let me check. The tool said: Echo: from-llm");
    expect(chunks.at(-1)).toMatchObject({
      finish_reason: "stop",
      usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 },
    });
    expect(cli.upstreams()).toHaveLength(1);

    expect(seen).toHaveLength(2);
    const [first, second] = seen as [Seen, Seen];
    expect(first.authorization).toBe("Bearer stub-key");
    expect(first.body).toMatchObject({ model: "tool-user", stream: true, stream_options: { include_usage: true } });
    const echo = first.body.tools!.find((tool) => tool.function.name === "objectiveai__echo")!;
    expect(echo.type).toBe("function");
    expect(echo.function.parameters.properties).toHaveProperty("message");
    for (const tool of first.body.tools!) expect(tool.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    // The second request carries the assistant's tool call and the tool's answer.
    const roles = second.body.messages.map((message) => message.role);
    expect(roles).toEqual(["user", "assistant", "tool"]);
    expect(second.body.messages[1]!.tool_calls).toHaveLength(1);
    expect(second.body.messages[2]).toMatchObject({ tool_call_id: "call_stub_1", content: "Echo: from-llm" });
  });

  it("answers an upstream's sampling request with the agent's model", async () => {
    seen.length = 0;
    const body = {
      agent: { upstream: "openai", model: "sampler" },
      messages: [{ role: "user", content: "sample something" }],
      ...DECLARE_EVERYTHING,
    };
    const cli = startCli(api.wsUrl, body);
    const exit = await exitWithin(cli);
    expect(exit.code, cli.stderr.text()).toBe(0);

    const sampling = seen.filter((item) => !item.body.stream);
    expect(sampling).toHaveLength(1);
    expect(sampling[0]!.authorization).toBe("Bearer stub-key");
    expect(sampling[0]!.body).toMatchObject({
      model: "sampler",
      max_tokens: 7,
      temperature: 0.7,
      messages: [
        { role: "system", content: "You are a helpful test server." },
        { role: "user", content: "Resource trigger-sampling-request context: tell me" },
      ],
    });
    const chunks = cli.chunks();
    const result = chunks.find((chunk) => chunk.tool_result)!.tool_result!;
    expect(result).toMatchObject({ tool_call_id: "call_sampler", is_error: false });
    const text = (result.content[0] as { text: string }).text;
    expect(text).toContain('"text": "Sampled: Resource trigger-sampling-request context: tell me"');
    expect(text).toContain('"model": "sampler-v1"');
    expect(text).toContain('"stopReason": "maxTokens"');
    // The model got the tool's answer, and the sampling tokens count in the agent's usage.
    expect(contentOf(chunks)).toContain("The tool said: LLM sampling result");
    expect(chunks.at(-1)).toMatchObject({
      finish_reason: "stop",
      usage: { prompt_tokens: 23, completion_tokens: 7, total_tokens: 30 },
    });
  });

  it("ends one agent with an error chunk on an upstream 500 while the other finishes", async () => {
    flakyFailures = 0;
    const response = await fetch(`${api.baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify({ agent: { upstream: "openai", model: "flaky" }, n: 2, stream: true }),
    });
    const data = (await response.text())
      .split("\n\n")
      .filter((event) => event.startsWith("data: "))
      .map((event) => event.slice(6));
    expect(data.at(-1)).toBe("[DONE]");
    const finals = data
      .slice(0, -1)
      .map(
        (item) =>
          JSON.parse(item) as { index: number; finish_reason?: string; error?: { code: number; message: string } },
      )
      .filter((chunk) => chunk.finish_reason);
    expect(finals.map((chunk) => chunk.finish_reason).sort()).toEqual(["error", "stop"]);
    const failed = finals.find((chunk) => chunk.finish_reason === "error")!;
    expect(failed.error!.code).toBe(500);
    expect(failed.error!.message).toContain("stub exploded");
  });

  it("fails an agent on an error status without waiting for an error body that never ends", async () => {
    const response = await fetch(`${api.baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify({ agent: { upstream: "openai", model: "endless-error" } }),
    });
    const json = (await response.json()) as {
      agents: { finish_reason: string; error?: { code: number; message: string } }[];
    };
    expect(json.agents[0]).toMatchObject({ finish_reason: "error", error: { code: 503 } });
    const message = json.agents[0]!.error!.message;
    expect(message).toContain('"message":"overloaded"');
    // "upstream returned HTTP 503: " and at most 2000 characters of the body, then "…".
    expect(message.length).toBeLessThanOrEqual("upstream returned HTTP 503: ".length + 2001);
    expect(message.endsWith("…")).toBe(true);
  });

  it("stops a model that keeps calling tools at max_turns", async () => {
    const response = await fetch(`${api.baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify({ agent: { upstream: "openai", model: "looping" }, max_turns: 3 }),
    });
    const json = (await response.json()) as { agents: { finish_reason: string; tool_calls: unknown[] }[] };
    // No mcp is declared on a POST, so the function is unknown: the model is told and keeps going.
    expect(json.agents[0]!.finish_reason).toBe("max_turns");
    const requests = seen.filter((item) => item.body.model === "looping");
    expect(requests).toHaveLength(3);
    expect(
      requests[2]!.body.messages.filter((message) => message.role === "tool").map((message) => message.content),
    ).toEqual(['Error: no tool named "objectiveai__echo"', 'Error: no tool named "objectiveai__echo"']);
  });
});
