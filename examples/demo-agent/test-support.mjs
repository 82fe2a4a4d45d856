// What every example's test does: start the example as a child process on port 0, attach to it with
// the real @conduit/client library serving server-everything over stdio, and collect the stream.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { attach } from "@conduit/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const EVERYTHING = join(
  dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist",
  "index.js",
);

/** Starts `node server.mjs` in `dir` with PORT=0; resolves once it printed its URL. */
export function startExample(dir) {
  const child = spawn(process.execPath, ["server.mjs"], {
    cwd: dir,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (data) => (stderr += data));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    void exited.then((exit) => reject(new Error(`the example exited before listening (${exit.code}): ${stderr}`)));
  });
  return {
    url,
    exited,
    /** SIGTERM, then waits for the exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/**
 * Attaches to `${baseUrl}/agent/completions`, declaring `objectiveai` served by server-everything, asks
 * the demo agent to call `echo`, and resolves with every chunk and the close outcome.
 */
export async function attachAndEcho(baseUrl, message) {
  const session = attach({
    url: `${baseUrl.replace(/^http/, "ws")}/agent/completions`,
    body: { client_objectiveai_mcp: { mcps: ["objectiveai"] }, tool: { name: "echo", arguments: { message } } },
    mcps: { objectiveai: { kind: "stdio", command: process.execPath, args: [EVERYTHING, "stdio"] } },
  });
  const chunks = [];
  try {
    for await (const chunk of session) chunks.push(chunk);
  } finally {
    await session.close();
  }
  return { chunks, outcome: await session.closed };
}

/**
 * The test every example runs: the demo agent's tool call comes back through an attached client's
 * stdio MCP server, the app's own `/hello` route still answers, and the example exits 0 on SIGTERM.
 */
export function testExample(name, dir) {
  let example;
  let baseUrl;

  beforeAll(async () => {
    example = startExample(dir);
    baseUrl = await example.url;
  });

  afterAll(async () => {
    const exit = await example.stop();
    expect(exit).toMatchObject({ code: 0 });
  });

  describe(`the ${name} example`, () => {
    it("runs the demo agent's tool call through the attached client's stdio MCP server", async () => {
      const { chunks, outcome } = await attachAndEcho(baseUrl, `hello from ${name}`);
      expect(
        chunks.map((chunk) =>
          Object.keys(chunk).find((key) => ["tool_call", "tool_result", "finish_reason"].includes(key)),
        ),
      ).toEqual(["tool_call", "tool_result", "finish_reason"]);
      expect(chunks[1].tool_result).toMatchObject({
        is_error: false,
        content: [{ type: "text", text: `Echo: hello from ${name}` }],
      });
      expect(chunks[2].finish_reason).toBe("stop");
      expect(outcome).toEqual({ kind: "finished", code: 1000 });
    });

    it("still answers the app's own route", async () => {
      const response = await fetch(`${baseUrl}/hello`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ hello: `from ${name}` });
    });
  });
}
