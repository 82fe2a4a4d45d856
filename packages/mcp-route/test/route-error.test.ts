import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ConduitErrorCode } from "@conduit/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { CONDUIT_ERRORS, readRouteError } from "../src/index.js";
import { closeHarnesses, mcpUpstream, startHarness, type Harness } from "./helpers.js";

const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await closeHarnesses();
});

function sdkClient(harness: Harness, responseId = harness.responseId): { client: Client; connecting: Promise<void> } {
  const transport = new StreamableHTTPClientTransport(new URL(harness.endpoint), {
    requestInit: { headers: { "x-objectiveai-response-id": responseId } },
  });
  const client = new Client({ name: "agent", version: "1.0.0" });
  clients.push(client);
  return { client, connecting: client.connect(transport) };
}

function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
}

describe("readRouteError on what the official MCP SDK client throws", () => {
  it("reads a conduit failure the route answered with an HTTP status (404 -32001)", async () => {
    const harness = await startHarness();
    const err = await thrown(sdkClient(harness, "resp_unknown").connecting);
    expect(readRouteError(err)).toEqual({
      code: ConduitErrorCode.NoReverseChannel,
      message: "no reverse channel for this response id",
      httpStatus: 404,
      conduit: CONDUIT_ERRORS.get(ConduitErrorCode.NoReverseChannel),
    });
    expect(readRouteError(err)?.conduit).toMatchObject({ outcome: "no_channel", httpStatus: 404 });
  });

  it("reads the attach client's own conduit error (-32003, HTTP 504)", async () => {
    const harness = await startHarness();
    harness.attach.handler = (frame) => {
      if (frame.method !== "tools/call") return mcpUpstream(frame);
      harness.attach.channel.deliver({
        type: "server_response",
        id: frame.id,
        error: { code: ConduitErrorCode.Timeout, message: "the upstream did not answer in time" },
        conduit: true,
      });
      return undefined;
    };
    const { client, connecting } = sdkClient(harness);
    await connecting;
    const read = readRouteError(await thrown(client.callTool({ name: "echo", arguments: {} })));
    expect(read).toMatchObject({ code: -32003, httpStatus: 504, conduit: { outcome: "timeout" } });
    expect(read?.message).toBe("the upstream did not answer in time");
  });

  it("reads an upstream's own JSON-RPC error (HTTP 200) with its data and no conduit meaning", async () => {
    const harness = await startHarness();
    const { client, connecting } = sdkClient(harness);
    await connecting;
    const read = readRouteError(await thrown(client.callTool({ name: "fail", arguments: {} })));
    expect(read).toEqual({ code: 4711, message: "the upstream refused", data: { why: "because" } });
  });

  it("reads nothing out of errors that carry no JSON-RPC error", () => {
    expect(readRouteError(new Error("fetch failed"))).toBeUndefined();
    expect(readRouteError("-32001")).toBeUndefined();
    expect(readRouteError(new Error('{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}'))).toBeUndefined();
  });

  it("describes every conduit code with the HTTP status the route answers it with", () => {
    expect([...CONDUIT_ERRORS.keys()].sort()).toEqual(Object.values(ConduitErrorCode).sort());
    expect(CONDUIT_ERRORS.get(ConduitErrorCode.TooManyPending)).toMatchObject({ outcome: "too_many", httpStatus: 429 });
    for (const info of CONDUIT_ERRORS.values()) expect(info.meaning.length).toBeGreaterThan(0);
  });
});
