import { PassThrough } from "node:stream";
import { afterEach, expect, test, vi } from "vitest";
import { runAttach, type AttachCommand } from "../src/cli/run-attach.js";
import { FakeApi, chunk } from "./helpers/fake-api.js";

const ERASE = "\r\u001b[2K";

let api: FakeApi | undefined;

afterEach(async () => {
  await api?.stop();
  api = undefined;
});

function command(url: string, json: boolean): AttachCommand {
  return {
    url,
    body: { agent: { upstream: "mock", turns: [] }, messages: [] },
    readNotifyLines: false,
    mcps: {},
    headers: {},
    json,
    status: true,
    verbosity: "normal",
    upstreamTimeoutMs: 60_000,
    maxListenMs: 60_000,
    maxUpstreams: 4,
    connectTimeoutMs: 10_000,
  };
}

/** What a terminal row shows: what follows its last erase. */
function visible(row: string): string {
  const at = row.lastIndexOf(ERASE);
  return at < 0 ? row : row.slice(at + ERASE.length);
}

/** stderr as a terminal would be: a TTY with columns. */
function streams(stderrIsTty: boolean) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: stderrIsTty, columns: 200 });
  const seen = { out: "", err: "" };
  stdout.setEncoding("utf8").on("data", (text: string) => (seen.out += text));
  stderr.setEncoding("utf8").on("data", (text: string) => (seen.err += text));
  return { io: { stdin, stdout, stderr }, seen };
}

test.each([false, true])(
  "on a TTY stderr the status line shows the run and is erased at exit; stdout stays clean (--json %s)",
  async (json) => {
    api = await FakeApi.start();
    const { io, seen } = streams(true);
    const exit = runAttach(command(api.url, json), io);
    const conn = await api.nextConnection();
    conn.sendChunk(chunk(0, "resp_a", { tool_call: { id: "c1", mcp: "objectiveai", name: "echo", arguments: {} } }));
    conn.sendChunk(chunk(1, "resp_b", { delta: { content: "hi" } }));
    await vi.waitFor(() => expect(seen.err).toContain("conduit: connected · 2 agents running · 1 tool call in flight"));
    conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
    conn.sendChunk(chunk(1, "resp_b", { finish_reason: "stop" }));
    conn.close(1000);
    expect(await exit).toBe(0);
    expect(seen.out).not.toContain("\u001b");
    expect(seen.out).not.toContain("conduit:");
    // What the terminal shows, row by row (what follows the last erase): the log lines, never a
    // status glued to one, and an empty last row (the status was erased at exit).
    const rows = seen.err.split("\n").map(visible);
    expect(rows).toEqual([
      expect.stringMatching(/^conduit: connected to ws:/),
      "conduit: stream ended: finished (1000)",
      "",
    ]);
    expect(seen.err.split("\n")[0]).toContain(`${ERASE}conduit: connecting…`);
  },
);

test("on a stderr that is not a TTY nothing but log lines is written", async () => {
  api = await FakeApi.start();
  const { io, seen } = streams(false);
  const exit = runAttach(command(api.url, false), io);
  const conn = await api.nextConnection();
  conn.sendChunk(chunk(0, "resp_a", { finish_reason: "stop" }));
  conn.close(1000);
  expect(await exit).toBe(0);
  expect(seen.err).not.toContain("\u001b");
  expect(seen.err).not.toContain("agents running");
  expect(
    seen.err
      .split("\n")
      .filter(Boolean)
      .every((line) => line.startsWith("conduit: ")),
  ).toBe(true);
});
