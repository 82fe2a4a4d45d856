import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { attach, ConduitError } from "../src/index.js";
import { parseElicitationLine } from "../src/cli/elicitation-answers.js";
import { runAttach } from "../src/cli/run-attach.js";
import { ensureBuilt, killRunning, runCli } from "./helpers/cli.js";
import { FakeApi, chunk } from "./helpers/fake-api.js";

const BODY = { agent: { upstream: "mock", turns: [] } };

const FORM = {
  id: "elic_form",
  tool_call_id: "call_1",
  mcp: "objectiveai",
  mode: "form",
  message: "Please provide inputs",
  requested_schema: {
    type: "object",
    properties: {
      name: { type: "string", description: "Your name" },
      pet: { type: "string", enum: ["cat", "dog"], default: "cat" },
    },
    required: ["name"],
  },
};

let dir: string;
let bodyFile: string;
let api: FakeApi | undefined;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "conduit-elicit-"));
  bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, JSON.stringify(BODY));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await killRunning();
  await api?.stop();
  api = undefined;
});

describe("parseElicitationLine", () => {
  test.each([
    ["", { kind: "answer", action: "decline" }],
    ["   ", { kind: "answer", action: "decline" }],
    ["cancel", { kind: "answer", action: "cancel" }],
    ["accept", { kind: "answer", action: "accept" }],
    [
      '{"name":"Ada","age":36,"ok":true,"tags":["a"]}',
      { kind: "answer", action: "accept", content: { name: "Ada", age: 36, ok: true, tags: ["a"] } },
    ],
  ])("%j", (line, expected) => {
    expect(parseElicitationLine(line)).toEqual(expected);
  });

  test.each(["yes please", "{nope", "[1]", '{"a":{"b":1}}', '{"a":[1]}'])("%j is not an answer", (line) => {
    expect(parseElicitationLine(line).kind).toBe("invalid");
  });
});

describe("the library's respondElicitation", () => {
  test("sends elicitation_response and settles with the API's answer", async () => {
    api = await FakeApi.start();
    const session = attach({ url: api.url, body: BODY, heartbeatMs: 0 });
    const conn = await api.nextConnection();
    await conn.body;

    const accepted = session.respondElicitation("resp_1", "elic_1", "accept", { name: "Ada" });
    const first = await conn.nextClientRequest();
    expect(first).toEqual({
      type: "client_request",
      id: first.id,
      method: "elicitation_response",
      params: { response_id: "resp_1", elicitation_id: "elic_1", action: "accept", content: { name: "Ada" } },
    });
    conn.respond(first.id);
    await expect(accepted).resolves.toBeUndefined();

    const late = session.respondElicitation("resp_1", "elic_1", "decline");
    const second = await conn.nextClientRequest();
    expect(second.params).toEqual({ response_id: "resp_1", elicitation_id: "elic_1", action: "decline" });
    conn.respond(second.id, { code: 409, message: "the elicitation was already settled" });
    const error = await late.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConduitError);
    expect((error as ConduitError).code).toBe(409);

    await expect(session.respondElicitation("", "elic_1", "cancel")).rejects.toThrow(TypeError);
    await expect(session.respondElicitation("resp_1", "elic_1", "decline", { a: "b" })).rejects.toThrow(TypeError);
    // @ts-expect-error: not an action
    await expect(session.respondElicitation("resp_1", "elic_1", "maybe")).rejects.toThrow(TypeError);
    expect(conn.invalidFrames).toEqual([]);
    conn.close(1000);
    await session.closed;
  });
});

describe("the CLI", () => {
  test("without a terminal declines at once, says so on stderr, and prints progress and the question", async () => {
    api = await FakeApi.start();
    const run = runCli(["attach", api.url, "--body", bodyFile]);
    const conn = await api.nextConnection();
    conn.sendChunk(
      chunk(0, "resp_a", { tool_progress: { tool_call_id: "call_1", progress: 3, total: 10, message: "indexing" } }),
    );
    conn.sendChunk(chunk(0, "resp_a", { elicitation: FORM }));
    const answer = await conn.nextClientRequest();
    expect(answer.params).toEqual({ response_id: "resp_a", elicitation_id: "elic_form", action: "decline" });
    conn.respond(answer.id);
    await run.waitForStderr(/asks Please provide inputs: declined, stdin is not interactive/);
    conn.sendChunk(chunk(0, "resp_a", { elicitation_result: { id: "elic_form", action: "decline", source: "user" } }));
    await run.waitForStdout(/\[0\] \? elic_form declined \(user\)/);
    expect(run.stdout()).toContain("[0] … progress 3/10 indexing");
    expect(run.stdout()).toContain("[0] ? elic_form objectiveai asks (form): Please provide inputs");
    expect(run.stdout()).toContain("[0]   name (string, required): Your name");
    expect(run.stdout()).toContain("[0]   pet (one of cat, dog) [default cat]");
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
  });

  test("--json prints the chunks only, even for an elicitation", async () => {
    api = await FakeApi.start();
    const run = runCli(["attach", api.url, "--body", bodyFile, "--json"]);
    const conn = await api.nextConnection();
    conn.sendChunk(chunk(1, "resp_b", { elicitation: { ...FORM, id: "elic_json" } }));
    const answer = await conn.nextClientRequest();
    expect(answer.params).toMatchObject({ elicitation_id: "elic_json", action: "decline" });
    conn.respond(answer.id);
    conn.close(1000);
    expect((await run.exited).code).toBe(0);
    const lines = run.stdout().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ elicitation: { id: "elic_json" } });
  });

  test("on a terminal asks the human: a JSON line accepts, an empty line declines, a bad line asks again", async () => {
    api = await FakeApi.start();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const exitCode = runAttach(
      {
        url: api.url,
        body: BODY,
        readNotifyLines: true,
        mcps: {},
        headers: {},
        json: true,
        verbosity: "normal",
        upstreamTimeoutMs: 60_000,
        maxListenMs: 60_000,
        maxUpstreams: 4,
        connectTimeoutMs: 10_000,
        status: true,
      },
      { stdin, stdout, stderr },
    );
    const conn = await api.nextConnection();
    conn.sendChunk(chunk(0, "resp_a", { elicitation: FORM }));
    conn.sendChunk(chunk(0, "resp_a", { elicitation: { ...FORM, id: "elic_second", message: "And now?" } }));
    conn.sendChunk(chunk(0, "resp_a", { elicitation: { ...FORM, id: "elic_third", message: "Third?" } }));
    // --json: the question is repeated on stderr, with its fields.
    await vi.waitFor(() => expect(err).toContain("[0] ? elic_form objectiveai asks (form): Please provide inputs"));
    expect(err).toContain("name (string, required): Your name");

    stdin.write("not an answer\n");
    await vi.waitFor(() => expect(err).toContain("not an answer:"));
    stdin.write('{"name":"Ada"}\n');
    const first = await conn.nextClientRequest();
    expect(first.params).toEqual({
      response_id: "resp_a",
      elicitation_id: "elic_form",
      action: "accept",
      content: { name: "Ada" },
    });
    conn.respond(first.id);
    await vi.waitFor(() => expect(err).toContain("And now?"));

    // The third ends on the server (timeout) while the second waits: it leaves the queue.
    conn.sendChunk(
      chunk(0, "resp_a", { elicitation_result: { id: "elic_third", action: "cancel", source: "timeout" } }),
    );
    await vi.waitFor(() => expect(err).toContain("elicitation elic_third ended: cancel (timeout)"));
    stdin.write("\n");
    const second = await conn.nextClientRequest();
    expect(second.params).toEqual({ response_id: "resp_a", elicitation_id: "elic_second", action: "decline" });
    conn.respond(second.id);

    // Nothing waits any more: a line is a notify again.
    stdin.write("#0 thanks\n");
    const notify = await conn.nextClientRequest();
    expect(notify).toMatchObject({
      method: "agent_completion_notify",
      params: { response_id: "resp_a", content: "thanks" },
    });
    conn.respond(notify.id);
    conn.close(1000);
    expect(await exitCode).toBe(0);
    expect(out.trim().split("\n")).toHaveLength(4);
    expect(conn.invalidFrames).toEqual([]);
    stdin.end();
  });
});
