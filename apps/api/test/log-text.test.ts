import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startApp, type App } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { LOG_TEXT_MAX, clip } from "../src/log-text.js";
import { createLogger } from "../src/logger.js";
import { shutdownApp } from "../src/shutdown.js";
import { DECLARE_EVERYTHING, ECHO, chunkOf, cleanup, mockBody, openRawSocket } from "./helpers.js";

/** The longest line any of these records may make: a handful of clipped fields and the fixed ones. */
const LINE_MAX = 2000;

let app: App | undefined;

afterEach(async () => {
  await cleanup();
  if (app) await shutdownApp(app);
  app = undefined;
});

/** The app in this process, logging into `lines` (one parsed record each). */
async function startLogged(): Promise<{ app: App; lines: string[]; records(): Record<string, unknown>[] }> {
  const lines: string[] = [];
  let partial = "";
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      done();
    },
  });
  const config = loadConfig([], { ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0" });
  app = await startApp(config, createLogger("info", sink));
  return { app, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("client-supplied text in log lines", () => {
  it("clips a string to LOG_TEXT_MAX characters, never inside a surrogate pair, and says how much went", () => {
    expect(clip("short")).toBe("short");
    expect(clip("x".repeat(LOG_TEXT_MAX))).toBe("x".repeat(LOG_TEXT_MAX));
    expect(clip("x".repeat(LOG_TEXT_MAX + 5))).toBe(`${"x".repeat(LOG_TEXT_MAX)}…[+5]`);
    expect(clip(`${"x".repeat(LOG_TEXT_MAX - 1)}😀`)).toBe(`${"x".repeat(LOG_TEXT_MAX - 1)}…[+2]`);
  });

  it("keeps a 100 KB MCP method, a peer's 100 KB error messages and a 10 KB path out of the lines", async () => {
    const { app, lines, records } = await startLogged();
    const line = (what: string, match: (text: string) => boolean): Promise<string> =>
      vi.waitFor(
        () => {
          const found = lines.find(match);
          expect(found, what).toBeDefined();
          return found!;
        },
        { timeout: 10_000 },
      );
    const huge = (letter: string): string => letter.repeat(100_000);

    // An attach client whose agent calls a tool: its id routes MCP requests to this socket.
    const socket = await openRawSocket(
      `ws://127.0.0.1:${app.port}/agent/completions`,
      JSON.stringify(mockBody([ECHO("x")], DECLARE_EVERYTHING)),
    );
    const call = await socket.waitForFrame((frame) => chunkOf(frame)?.tool_call !== undefined, "the tool_call chunk");
    const responseId = chunkOf(call)!.id;
    const initialize = await socket.waitForFrame(
      (frame) => frame.type === "server_request" && frame.method === "initialize",
      "the agent's initialize",
    );

    // A local process sends a notification (forwarded whatever its method) with a 100 KB method; the
    // attach client fails it with a 100 KB message.
    const hugeMethod = `notifications/${huge("m")}`;
    const forwarded = fetch(`${app.mcpListener.url}/objectiveai`, {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        "x-objectiveai-response-id": responseId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", method: hugeMethod }),
    });
    const request = await socket.waitForFrame(
      (frame) => frame.type === "server_request" && frame.method === hugeMethod,
      "the forwarded request",
    );
    socket.send({ type: "server_response", id: request.id, error: { code: 4711, message: huge("u") } });
    expect((await forwarded).status).toBe(202);
    const mcpLine = await line("the mcp request line", (text) => text.includes(`"method":"notifications/mmm`));
    expect(mcpLine.length).toBeLessThan(LINE_MAX);
    expect((JSON.parse(mcpLine) as { method: string }).method).toBe(clip(hugeMethod));

    // The agent's own initialize fails with a 100 KB message from the peer: the agent fails with it.
    socket.send({ type: "server_response", id: initialize.id, error: { code: 4711, message: huge("e") } });
    await socket.closed;
    const failed = await vi.waitFor(
      () => {
        const record = records().find((item) => item.msg === "agent failed");
        expect(record).toBeDefined();
        return record!;
      },
      { timeout: 10_000 },
    );
    expect(String(failed.err).length).toBeLessThan(LOG_TEXT_MAX + 20);

    // A 10 KB path on the public listener (a longer request line is a 431 before any route runs).
    await fetch(`http://127.0.0.1:${app.port}/${"p".repeat(10_000)}`).then((res) => res.text());
    const requestLine = await line("the request line", (text) => text.includes('"status":404'));
    expect(requestLine.length).toBeLessThan(LINE_MAX);

    for (const line of lines) expect(line.length, line.slice(0, 300)).toBeLessThan(LINE_MAX);
  });
});
