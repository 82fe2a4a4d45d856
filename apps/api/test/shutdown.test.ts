import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DECLARE_EVERYTHING,
  ECHO,
  cleanup,
  exitWithin,
  isAlive,
  mockBody,
  sseData,
  startApi,
  startCli,
} from "./helpers.js";

afterEach(async () => {
  await cleanup();
});

describe("graceful shutdown", () => {
  it("on SIGTERM cancels running agents, closes sockets with 1001, ends upstreams and exits 0", async () => {
    const api = await startApi({ SHUTDOWN_TIMEOUT_MS: "8000" });
    const body = mockBody([ECHO("before shutdown"), { await_notification: 600_000 }], { n: 2, ...DECLARE_EVERYTHING });
    const cli = startCli(api.wsUrl, body);
    await cli.waitForChunk((chunk) => chunk.index === 0 && chunk.tool_result !== undefined, "agent 0's tool result");
    await cli.waitForChunk((chunk) => chunk.index === 1 && chunk.tool_result !== undefined, "agent 1's tool result");
    const upstreams = cli.upstreams();
    expect(upstreams).toHaveLength(2);
    expect(upstreams.every((upstream) => isAlive(upstream.pid))).toBe(true);

    api.proc.kill("SIGTERM");
    const apiExit = await exitWithin(api, 10_000);
    expect(apiExit, api.stdout.text()).toEqual({ code: 0, signal: null });

    const cliExit = await exitWithin(cli);
    expect(cliExit.code).toBe(3);
    expect(cli.stderr.text()).toMatch(/1001/);
    const finals = cli.chunks().filter((chunk) => chunk.finish_reason);
    expect(finals.map((chunk) => chunk.finish_reason)).toEqual(["cancelled", "cancelled"]);

    await vi.waitFor(
      () => {
        for (const upstream of upstreams) expect(isAlive(upstream.pid)).toBe(false);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(api.logs().some((record) => record.msg === "shut down")).toBe(true);
  });

  it("on SIGTERM ends a running SSE POST with cancelled chunks and [DONE], then exits 0", async () => {
    const api = await startApi({ SHUTDOWN_TIMEOUT_MS: "8000" });
    const response = await fetch(`${api.baseUrl}/agent/completions`, {
      method: "POST",
      body: JSON.stringify(mockBody([{ content: "waiting" }, { await_notification: 600_000 }], { stream: true })),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n\n")) {
      const read = await reader.read();
      if (read.done) break;
      text += decoder.decode(read.value, { stream: true });
    }
    api.proc.kill("SIGTERM");
    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      text += decoder.decode(read.value, { stream: true });
    }
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    expect(JSON.parse(data.at(-2)!)).toMatchObject({ finish_reason: "cancelled" });
    expect(await exitWithin(api, 10_000)).toEqual({ code: 0, signal: null });
    // The finished response let the server close: nothing had to be cut at the shutdown bound.
    expect(api.stdout.text()).not.toContain("still open near the shutdown bound");
    expect(api.logs().some((record) => record.msg === "shut down")).toBe(true);
  });

  it("on SIGINT with nothing running exits 0 at once", async () => {
    const api = await startApi();
    api.proc.kill("SIGINT");
    expect(await exitWithin(api)).toEqual({ code: 0, signal: null });
  });
});
