import type { Chunk, McpKind } from "@conduit/protocol";
import { describe, expect, test } from "vitest";
import { ReadablePrinter, describeContent } from "../src/cli/printer.js";

let created = 0;
function chunk(index: number, payload: Partial<Chunk>): Chunk {
  return { id: `resp_${index}`, object: "agent.completion.chunk", index, created: created++, ...payload } as Chunk;
}

describe("ReadablePrinter", () => {
  test("holds deltas back until that agent's next event, interleaving agents", () => {
    const printer = new ReadablePrinter();
    const out: string[] = [];
    out.push(...printer.push(chunk(0, { delta: { content: "Hel" } })));
    out.push(...printer.push(chunk(1, { delta: { content: "Other " } })));
    out.push(...printer.push(chunk(0, { delta: { content: "lo\nworld" } })));
    expect(out).toEqual([]);
    out.push(
      ...printer.push(
        chunk(0, { tool_call: { id: "c1", mcp: "objectiveai" as McpKind, name: "echo", arguments: { message: "x" } } }),
      ),
    );
    out.push(
      ...printer.push(
        chunk(0, {
          tool_result: { tool_call_id: "c1", content: [{ type: "text", text: "Echo: x" }], is_error: false },
        }),
      ),
    );
    out.push(
      ...printer.push(
        chunk(1, { finish_reason: "stop", usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }),
      ),
    );
    out.push(...printer.flush());
    expect(out).toEqual([
      "[0] Hello",
      "[0] world",
      '[0] → tool objectiveai::echo({"message":"x"})',
      "[0] ← result: Echo: x",
      "[1] Other ",
      "[1] ■ finished: stop (usage: prompt 3, completion 4, total 7)",
    ]);
  });

  test("errors, notifications and a finish with an error", () => {
    const printer = new ReadablePrinter();
    expect(
      printer.push(
        chunk(2, {
          tool_result: { tool_call_id: "c", content: [{ type: "text", text: "boom\nline 2" }], is_error: true },
        }),
      ),
    ).toEqual(["[2] ← result (error): boom", "[2]   line 2"]);
    expect(printer.push(chunk(2, { notification: { content: "hurry up" } }))).toEqual(["[2] ✉ notification: hurry up"]);
    expect(
      printer.push(
        chunk(2, {
          delta: { content: "partial" },
          finish_reason: "error",
          error: { code: -32603, message: "upstream died" },
        }),
      ),
    ).toEqual(["[2] partial", "[2] ■ finished: error — error -32603: upstream died"]);
    expect(printer.flush()).toEqual([]);
  });
});

test("describeContent renders binary blocks by type, mime type and size", () => {
  const png = Buffer.alloc(123, 7).toString("base64");
  expect(
    describeContent([
      { type: "text", text: "look:" },
      { type: "image", mimeType: "image/png", data: png },
      { type: "audio", mimeType: "audio/wav", data: "" },
      { type: "resource", resource: { uri: "file:///a.txt", text: "…" } },
      { type: "resource_link", uri: "file:///b.txt", name: "b" },
      { type: "future" },
    ]),
  ).toBe(
    "look: [image image/png, 123 bytes] [audio audio/wav, 0 bytes] [resource file:///a.txt] [link file:///b.txt] [future]",
  );
});

describe("progress and elicitations", () => {
  test("a progress line, an elicitation with its fields or URL, and its outcome", () => {
    const printer = new ReadablePrinter();
    const mcp = "objectiveai" as McpKind;
    expect(
      printer.push(chunk(0, { tool_progress: { tool_call_id: "c1", progress: 3, total: 10, message: "step" } })),
    ).toEqual(["[0] … progress 3/10 step"]);
    expect(printer.push(chunk(0, { tool_progress: { tool_call_id: "c1", progress: 0.5 } }))).toEqual([
      "[0] … progress 0.5",
    ]);
    expect(
      printer.push(
        chunk(0, {
          elicitation: {
            id: "elic_1",
            mcp,
            mode: "form",
            message: "Who?",
            requested_schema: {
              type: "object",
              properties: {
                name: { type: "string", description: "full name" },
                hero: { type: "string", oneOf: [{ const: "h1", title: "Superman" }] },
              },
              required: ["name"],
            },
          },
        }),
      ),
    ).toEqual([
      "[0] ? elic_1 objectiveai asks (form): Who?",
      "[0]   name (string, required): full name",
      "[0]   hero (one of h1)",
    ]);
    expect(
      printer.push(
        chunk(1, { elicitation: { id: "elic_2", mcp, mode: "url", message: "Sign in", url: "https://x.test/a" } }),
      ),
    ).toEqual(["[1] ? elic_2 objectiveai asks (url): Sign in", "[1]   open: https://x.test/a"]);
    expect(
      printer.push(chunk(1, { elicitation_result: { id: "elic_2", action: "cancel", source: "timeout" } })),
    ).toEqual(["[1] ? elic_2 cancelled (timeout)"]);
  });
});
