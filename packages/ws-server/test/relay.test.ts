// conduit.v2 upstream_message frames: to the request in flight they belong to,
// or to one GET stream of (response_id, mcp); an upstream request nobody can
// take is answered with an error at once; v1 sockets do not know the frame.
import { afterEach, describe, expect, it, vi } from "vitest";
import { OBJECTIVEAI_MCP, SUBPROTOCOL, SUBPROTOCOL_V2, type JsonRpcMessage } from "@conduit/protocol";
import { closeOpened, connectWithBody, startHarness, type Accepted, type Harness, type TestClient } from "./helpers.js";

afterEach(closeOpened);

function connect(harness: Harness, protocols: string[]) {
  return connectWithBody(harness, {}, protocols);
}

/** A tools/call in flight on the server's channel, recording its interim messages. */
async function callInFlight(server: Accepted, client: TestClient) {
  const seen: JsonRpcMessage[] = [];
  const answer = server.attached.channel.request(
    { mcp: OBJECTIVEAI_MCP, method: "tools/call", headers: {} },
    { onMessage: (message) => seen.push(message) },
  );
  const request = await client.next();
  return { seen, answer, request };
}

const progress: JsonRpcMessage = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1 } };
const sampling: JsonRpcMessage = { jsonrpc: "2.0", id: "c-1", method: "sampling/createMessage", params: {} };

describe("upstream_message (conduit.v2)", () => {
  it("with an id reaches that request's handler in order, before its answer", async () => {
    const harness = await startHarness();
    const { client, server } = await connect(harness, [SUBPROTOCOL_V2]);
    expect(server.attached.channel.protocol).toBe(2);
    const { seen, answer, request } = await callInFlight(server, client);
    client.sendJson({ type: "upstream_message", id: request.id, mcp: "objectiveai", message: progress });
    client.sendJson({ type: "upstream_message", id: request.id, mcp: "objectiveai", message: sampling });
    client.sendJson({ type: "server_response", id: request.id, result: { content: [] } });
    await answer;
    expect(seen).toEqual([progress, sampling]);
  });

  it("an upstream request for a settled request is answered with an error agent_message", async () => {
    const harness = await startHarness();
    const { client } = await connect(harness, [SUBPROTOCOL_V2]);
    client.sendJson({ type: "upstream_message", id: 4242, mcp: "objectiveai", message: sampling });
    expect(await client.next()).toEqual({
      type: "agent_message",
      mcp: "objectiveai",
      headers: {},
      message: { jsonrpc: "2.0", id: "c-1", error: { code: -32001, message: expect.stringContaining("ended") } },
    });
  });

  it("without an id goes to one GET stream of its own agent, and is refused for an agent not on this socket", async () => {
    const harness = await startHarness();
    const { client, server } = await connect(harness, [SUBPROTOCOL_V2]);
    server.attached.handle.register("resp_mine");
    let pending = 0;
    const first = harness.listeners.subscribe("resp_mine", OBJECTIVEAI_MCP, { onPending: () => pending++ });
    const second = harness.listeners.subscribe(
      "resp_mine",
      OBJECTIVEAI_MCP,
      { onPending: () => pending++ },
      { sessionId: "s-2" },
    );
    const log: JsonRpcMessage = { jsonrpc: "2.0", method: "notifications/message", params: { data: "hi" } };
    client.sendJson({
      type: "upstream_message",
      mcp: "objectiveai",
      response_id: "resp_mine",
      session_id: "s-2",
      message: log,
    });
    await vi.waitFor(() => expect(pending).toBe(1));
    expect(second?.takeMessages()).toEqual([JSON.stringify(log)]);
    expect(first?.takeMessages()).toEqual([]);

    client.sendJson({ type: "upstream_message", mcp: "objectiveai", response_id: "resp_other", message: sampling });
    expect(await client.next()).toMatchObject({
      type: "agent_message",
      message: { id: "c-1", error: { code: -32001 } },
    });
    expect(server.attached.channel.relayed.size).toBe(0);
  });

  it("a session-level upstream request is recorded for its agent's answer, or refused when no stream is open", async () => {
    const harness = await startHarness();
    const { client, server } = await connect(harness, [SUBPROTOCOL_V2]);
    server.attached.handle.register("resp_mine");
    client.sendJson({ type: "upstream_message", mcp: "objectiveai", response_id: "resp_mine", message: sampling });
    expect(await client.next()).toMatchObject({
      type: "agent_message",
      message: { id: "c-1", error: { code: -32001 } },
    });
    expect(server.attached.channel.relayed.size).toBe(0);

    harness.listeners.subscribe("resp_mine", OBJECTIVEAI_MCP, { onPending: () => undefined });
    client.sendJson({ type: "upstream_message", mcp: "objectiveai", response_id: "resp_mine", message: sampling });
    await vi.waitFor(() => expect(server.attached.channel.relayed.size).toBe(1));
    expect(server.attached.channel.relayed.take("c-1", "resp_mine", OBJECTIVEAI_MCP)).toBeDefined();
  });

  it("is an unknown frame type on a conduit.v1 socket: dropped, the socket keeps working", async () => {
    const harness = await startHarness();
    const { client, server } = await connect(harness, [SUBPROTOCOL]);
    expect(server.attached.channel.protocol).toBe(1);
    const { seen, answer, request } = await callInFlight(server, client);
    client.sendJson({ type: "upstream_message", id: request.id, mcp: "objectiveai", message: progress });
    client.sendJson({ type: "server_response", id: request.id, result: {} });
    await answer;
    expect(seen).toEqual([]);
  });
});
