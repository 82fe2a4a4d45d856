import { afterEach, describe, expect, it } from "vitest";
import type { ForwardedEvent } from "../src/index.js";
import { closeHarnesses, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

function terminate(url: string, responseId: string | undefined, sessionId = "sess-7"): Promise<Response> {
  const headers: Record<string, string> = { "mcp-session-id": sessionId };
  if (responseId !== undefined) headers["x-objectiveai-response-id"] = responseId;
  return fetch(url, { method: "DELETE", headers });
}

describe("DELETE → session/terminate", () => {
  it("forwards session/terminate with the headers and answers 200 {}", async () => {
    const events: ForwardedEvent[] = [];
    const { listener, responseId, attach } = await startHarness({
      observer: { forwarded: (event) => events.push(event) },
    });
    const response = await terminate(`${listener.url}/acme/files/1.0.0/fs`, responseId);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({});
    const frame = await attach.frame("session/terminate");
    expect(frame.mcp).toBe("acme/files/1.0.0/fs");
    expect(frame.params).toBeUndefined();
    expect(frame.headers).toMatchObject({ "mcp-session-id": "sess-7", "x-objectiveai-response-id": responseId });
    expect(events.map(({ method, outcome }) => ({ method, outcome }))).toEqual([
      { method: "session/terminate", outcome: "ok" },
    ]);
  });

  it("400 without the routing header, 404 for an unknown id", async () => {
    const { endpoint, attach } = await startHarness();
    expect((await terminate(endpoint, undefined)).status).toBe(400);
    const unknown = await terminate(endpoint, "resp_unknown");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: -32001 } });
    expect(attach.frames).toHaveLength(0);
  });

  it("an upstream error → 502 -32004 carrying the upstream error", async () => {
    const upstream = { code: -32000, message: "no such session" };
    const { endpoint, responseId } = await startHarness({ handler: () => ({ error: upstream }) });
    const response = await terminate(endpoint, responseId);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32004, message: expect.any(String), data: upstream },
    });
  });

  it("conduit errors keep their HTTP status: timeout 504, closed channel 503", async () => {
    const { endpoint, responseId, attach } = await startHarness({ handler: () => undefined, timeoutMs: 50 });
    const timedOut = await terminate(endpoint, responseId);
    expect(timedOut.status).toBe(504);
    expect(await timedOut.json()).toMatchObject({ error: { code: -32003 } });
    expect(attach.channel.pending.size).toBe(0);

    const closing = terminate(endpoint, responseId);
    expect((await attach.nth(1)).method).toBe("session/terminate");
    attach.channel.close();
    const closed = await closing;
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ error: { code: -32002 } });
  });
});
