import { afterEach, describe, expect, it } from "vitest";
import { closeHarnesses, post, rawRequest, rpc, startHarness } from "./helpers.js";

afterEach(closeHarnesses);

describe("headers forwarded in the server_request", () => {
  it("strips hop-by-hop and transport headers, keeps the rest lower-cased and joined", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const response = await rawRequest(endpoint, {
      method: "POST",
      headers: {
        Accept: "application/json, text/event-stream",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        Connection: "keep-alive, X-Drop-Me, X-OBJECTIVEAI-Keep",
        "Keep-Alive": "timeout=5",
        TE: "trailers",
        Trailer: "X-Trailer",
        Upgrade: "h2c",
        "Proxy-Authorization": "Basic eA==",
        "Proxy-Connection": "keep-alive",
        "X-OBJECTIVEAI-RESPONSE-ID": responseId,
        "X-OBJECTIVEAI-Keep": "Kept As Is",
        "X-ObjectiveAI-Trace": "t-1",
        "Mcp-Session-Id": "Sess-ABC",
        "MCP-Protocol-Version": "2025-06-18",
        "X-Drop-Me": "gone",
        "X-Multi": ["a", "b"],
        Authorization: "Bearer agent-token",
      },
      body: rpc("tools/list"),
    });
    expect(response.status).toBe(200);
    const headers = attach.frames[0]?.headers;
    expect(headers).toBeDefined();
    for (const dropped of [
      "host",
      "connection",
      "content-length",
      "content-type",
      "accept",
      "transfer-encoding",
      "keep-alive",
      "upgrade",
      "te",
      "trailer",
      "proxy-authorization",
      "proxy-connection",
      "x-drop-me",
    ]) {
      expect(headers, dropped).not.toHaveProperty(dropped);
    }
    expect(headers).toMatchObject({
      "x-objectiveai-response-id": responseId,
      "x-objectiveai-keep": "Kept As Is",
      "x-objectiveai-trace": "t-1",
      "mcp-session-id": "Sess-ABC",
      "mcp-protocol-version": "2025-06-18",
      "x-multi": "a, b",
      authorization: "Bearer agent-token",
    });
    for (const name of Object.keys(headers ?? {})) expect(name).toBe(name.toLowerCase());
  });

  it("forwards the same headers for DELETE and notifications", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    await post(endpoint, responseId, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), {
      "mcp-session-id": "s-9",
      "x-objectiveai-extra": "e",
    });
    const terminate = await fetch(endpoint, {
      method: "DELETE",
      headers: { "x-objectiveai-response-id": responseId, "mcp-session-id": "s-9", "x-objectiveai-extra": "e" },
    });
    expect(terminate.status).toBe(200);
    for (const method of ["notifications/initialized", "session/terminate"]) {
      expect(attach.last(method)?.headers, method).toMatchObject({
        "mcp-session-id": "s-9",
        "x-objectiveai-extra": "e",
      });
      expect(attach.last(method)?.headers, method).not.toHaveProperty("host");
    }
  });
});

describe("X-OBJECTIVEAI-ARGUMENTS on initialize", () => {
  async function argumentsFor(value: string | undefined): Promise<Record<string, unknown>> {
    const { endpoint, responseId, attach } = await startHarness();
    const extra: Record<string, string> = value === undefined ? {} : { "X-OBJECTIVEAI-ARGUMENTS": value };
    const { status } = await post(endpoint, responseId, rpc("initialize", { capabilities: {} }), extra);
    expect(status).toBe(200);
    return (attach.frames[0]?.params as { arguments: Record<string, unknown> }).arguments;
  }

  it("decodes string-or-null values keeping their order", async () => {
    const args = await argumentsFor('{"zeta":"1","alpha":null,"mid":"two words"}');
    expect(args).toEqual({ zeta: "1", alpha: null, mid: "two words" });
    expect(Object.keys(args)).toEqual(["zeta", "alpha", "mid"]);
  });

  it("absent or malformed → {}", async () => {
    for (const value of [undefined, "not json", "[1,2]", '{"a":1}', '"text"', "null"]) {
      expect(await argumentsFor(value), String(value)).toEqual({});
    }
  });

  it("is still forwarded as a header for the attach client to see", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    await post(endpoint, responseId, rpc("initialize", { capabilities: {} }), {
      "X-OBJECTIVEAI-ARGUMENTS": '{"a":"b"}',
    });
    expect(attach.frames[0]?.headers["x-objectiveai-arguments"]).toBe('{"a":"b"}');
  });
});
