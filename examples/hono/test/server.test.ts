// Runs server.mjs as a child process and attaches to it with the real @conduit/client library.
import { fileURLToPath } from "node:url";
import { attachAndEcho, startExample } from "@conduit-examples/demo-agent/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DIR = fileURLToPath(new URL("..", import.meta.url));
let example: ReturnType<typeof startExample>;
let baseUrl: string;

beforeAll(async () => {
  example = startExample(DIR);
  baseUrl = await example.url;
});

afterAll(async () => {
  const exit = await example.stop();
  expect(exit).toMatchObject({ code: 0 });
});

describe("the hono example", () => {
  it("runs the demo agent's tool call through the attached client's stdio MCP server", async () => {
    const { chunks, outcome } = await attachAndEcho(baseUrl, "hello from hono");
    expect(
      chunks.map((chunk) =>
        Object.keys(chunk).find((key) => ["tool_call", "tool_result", "finish_reason"].includes(key)),
      ),
    ).toEqual(["tool_call", "tool_result", "finish_reason"]);
    expect(chunks[1]!.tool_result).toMatchObject({
      is_error: false,
      content: [{ type: "text", text: "Echo: hello from hono" }],
    });
    expect(chunks[2]!.finish_reason).toBe("stop");
    expect(outcome).toEqual({ kind: "finished", code: 1000 });
  });

  it("still answers the app's own route", async () => {
    const response = await fetch(`${baseUrl}/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: "from hono" });
  });
});
