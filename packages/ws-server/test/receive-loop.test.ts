import { afterEach, describe, expect, it } from "vitest";
import {
  ConduitError,
  ConduitErrorCode,
  JsonRpcErrorCode,
  OBJECTIVEAI_MCP,
  decodeServerFrame,
  type McpKind,
} from "@conduit/protocol";
import { sendServerRequest } from "@conduit/registry";
import {
  captureLogger,
  chunk,
  connectWithBody,
  deferred,
  startHarness,
  type HarnessOptions,
  closeOpened,
} from "./helpers.js";
import { LOG_TEXT_MAX } from "../src/logger.js";

afterEach(closeOpened);

async function setup(options: HarnessOptions = {}) {
  const harness = await startHarness(options);
  const connected = await connectWithBody(harness);
  return { harness, ...connected };
}

const FS_MCP = "acme/files/1.0.0/fs" as McpKind;

describe("receive loop", () => {
  it("server_response resolves the matching channel request", async () => {
    const { harness, client, server } = await setup();
    server.attached.handle.register("resp_1");
    const answer = sendServerRequest(harness.registry, "resp_1", {
      mcp: OBJECTIVEAI_MCP,
      method: "tools/list",
      headers: { "x-objectiveai-response-id": "resp_1" },
    });
    const request = await client.next();
    expect(request).toMatchObject({ type: "server_request", mcp: "objectiveai", method: "tools/list" });
    client.sendJson({ type: "server_response", id: request.id, result: { tools: [] } });
    expect(await answer).toEqual({ type: "server_response", id: request.id, result: { tools: [] } });
  });

  it("passes an upstream error answer through", async () => {
    const { client, server } = await setup();
    const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/call", headers: {} });
    const request = await client.next();
    client.sendJson({ type: "server_response", id: request.id, error: { code: -32000, message: "tool broke" } });
    expect(await answer).toMatchObject({ error: { code: -32000, message: "tool broke" } });
  });

  it("drops a server_response with an unknown id", async () => {
    const { logger, entries } = captureLogger();
    const { client, server } = await setup({ conduit: { logger } });
    const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
    const request = await client.next();
    client.sendJson({ type: "server_response", id: 987654, result: {} });
    client.sendJson({ type: "server_response", id: request.id, result: { ok: 1 } });
    expect(await answer).toMatchObject({ result: { ok: 1 } });
    expect(entries.some((entry) => entry.level === "debug" && /unknown or settled/.test(entry.msg))).toBe(true);
    expect(server.ws.readyState).toBe(server.ws.OPEN);
  });

  it("drops garbage frames, logs the first few one by one and the rest as a count at the end, and keeps the socket working", async () => {
    const { logger, entries } = captureLogger();
    const { client, server } = await setup({ conduit: { logger } });
    client.ws.send("not json either");
    client.ws.send(JSON.stringify({ type: 42 }));
    client.ws.send("{definitely not json");
    client.ws.send(JSON.stringify({ type: "mystery", id: 1 }));
    client.ws.send(JSON.stringify([1, 2, 3]));
    client.ws.send(Buffer.from([0, 1, 2, 3]));
    client.ws.send(JSON.stringify({ type: "__proto__" }));
    client.ws.send(JSON.stringify({ type: "server_response" }));
    const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
    const request = await client.next();
    client.sendJson({ type: "server_response", id: request.id, result: { still: "alive" } });
    expect(await answer).toMatchObject({ result: { still: "alive" } });
    const drops = entries.filter((entry) => entry.level === "warn" && entry.msg.startsWith("frame dropped"));
    expect(drops.map((entry) => (entry.obj as { kind: string }).kind)).toEqual([
      "invalid_json",
      "unknown_type",
      "invalid_json",
      "unknown_type",
      "not_an_object",
    ]);
    expect(entries.filter((entry) => entry.level === "warn")).toHaveLength(5);
    expect(client.frames.length).toBe(0);
    client.ws.close(1000);
    await server.attached.closed;
    expect(entries.filter((entry) => entry.msg === "frames dropped on this socket")).toEqual([
      { level: "warn", obj: { dropped: 8, unlogged: 3 }, msg: "frames dropped on this socket" },
    ]);
  });

  it("closes a socket past maxInvalidFrames with error 429 and close 1008, and not before", async () => {
    const { logger, entries } = captureLogger();
    const { harness, client, server } = await setup({
      conduit: { logger, maxInvalidFrames: 4, invalidFrameWindowMs: 600_000 },
    });
    server.attached.handle.register("resp_junk");
    const listChanged = (id: number) =>
      client.sendJson({
        type: "client_request",
        id,
        method: "mcp_list_changed",
        params: { mcp: "objectiveai", list: "tools" },
      });
    client.ws.send("{nope");
    client.ws.send(Buffer.from([1, 2, 3]));
    client.ws.send(JSON.stringify({ type: "mystery" }));
    // Answered -32601, and still junk.
    client.sendJson({ type: "client_request", id: "j4", method: "reboot", params: {} });
    expect(await client.next()).toMatchObject({ id: "j4", ok: false });
    listChanged(1);
    expect(await client.next()).toEqual({ type: "client_response", id: 1, ok: true });

    client.ws.send("{one too many");
    listChanged(2);
    expect(await client.next()).toEqual({
      type: "error",
      error: { code: 429, message: "too many invalid frames (more than 4 per 600000 ms)" },
    });
    expect((await client.closed).code).toBe(1008);
    expect(client.frames.length).toBe(0);
    expect((await server.attached.closed).code).toBe(1008);
    expect(harness.registry.has("resp_junk")).toBe(false);
    expect(entries.filter((entry) => entry.msg === "too many invalid frames, closing the socket")).toHaveLength(1);
  });

  it("cuts client-supplied text in its log lines to LOG_TEXT_MAX", async () => {
    const { logger, entries } = captureLogger();
    const { client, server } = await setup({
      conduit: {
        logger,
        notify: () => {
          throw new Error(`upstream said: ${"y".repeat(5000)}`);
        },
      },
    });
    const longId = "i".repeat(256);
    const longMcp = ["a", "b", "c", "d"].map((letter) => letter.repeat(128)).join("/");
    await server.attached.send(chunk("resp_log", 0, "x"));
    await client.next();
    client.sendJson({ type: "server_response", id: longId, result: {} });
    client.sendJson({
      type: "client_request",
      id: longId,
      method: "mcp_list_changed",
      params: { mcp: longMcp, list: "tools" },
    });
    expect(await client.next()).toMatchObject({ id: longId, ok: true });
    client.sendJson({
      type: "client_request",
      id: longId,
      method: "agent_completion_notify",
      params: { response_id: "resp_log", content: "c" },
    });
    expect(await client.next()).toMatchObject({ id: longId, ok: false });
    client.ws.send(`{"type":"server_response","id":"x","result":{},"junk":"${"z".repeat(5000)}`);
    client.ws.send(JSON.stringify({ type: "client_request", id: 1, method: "m".repeat(5000) }));
    await client.next();

    const strings = entries.flatMap((entry) =>
      Object.values(entry.obj).filter((v): v is string => typeof v === "string"),
    );
    expect(strings.some((text) => text.startsWith("iiii"))).toBe(true);
    expect(strings.some((text) => text.startsWith("aaaa"))).toBe(true);
    expect(strings.some((text) => text.startsWith("upstream said"))).toBe(true);
    for (const text of strings) expect(text.length).toBeLessThanOrEqual(LOG_TEXT_MAX + "…(+99999)".length);
    expect(strings.filter((text) => text.includes("…(+")).length).toBeGreaterThanOrEqual(3);
  });

  it("drops a deeply nested frame without throwing out of the message handler", async () => {
    const { logger, entries } = captureLogger();
    const { client, server } = await setup({ conduit: { logger } });
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    client.ws.send(`{"type":${deep}}`);
    client.ws.send(`{"type":"client_request","id":"d1","method":${deep}}`);
    expect(await client.next()).toMatchObject({
      type: "client_response",
      id: "d1",
      ok: false,
      error: { code: JsonRpcErrorCode.MethodNotFound },
    });
    const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
    const request = await client.next();
    client.sendJson({ type: "server_response", id: request.id, result: { still: "alive" } });
    expect(await answer).toMatchObject({ result: { still: "alive" } });
    expect(entries.filter((entry) => entry.level === "warn")).toHaveLength(2);
  });

  it("answers a client_request with bad params -32602 and an unknown method -32601", async () => {
    const { client } = await setup();
    client.sendJson({ type: "client_request", id: "r1", method: "agent_completion_notify", params: { content: 5 } });
    expect(await client.next()).toMatchObject({
      type: "client_response",
      id: "r1",
      ok: false,
      error: { code: JsonRpcErrorCode.InvalidParams },
    });
    client.sendJson({ type: "client_request", id: 2, method: "reboot_server", params: {} });
    expect(await client.next()).toMatchObject({
      type: "client_response",
      id: 2,
      ok: false,
      error: { code: JsonRpcErrorCode.MethodNotFound },
    });
  });

  describe("agent_completion_notify", () => {
    it("calls the handler for an id seen in this stream's chunks and answers ok", async () => {
      const { harness, client, server } = await setup();
      await server.attached.send(chunk("resp_seen", 0, "hello"));
      await client.next();
      client.sendJson({
        type: "client_request",
        id: 7,
        method: "agent_completion_notify",
        params: { response_id: "resp_seen", content: "please stop" },
      });
      expect(await client.next()).toEqual({ type: "client_response", id: 7, ok: true });
      expect(harness.notifyCalls).toEqual([{ responseId: "resp_seen", content: "please stop" }]);
    });

    it("answers 404 for an id not seen in this stream and never calls the handler", async () => {
      const { harness, client, server } = await setup();
      // Registered but never in a chunk: registration is not what counts.
      server.attached.handle.register("resp_hidden");
      client.sendJson({
        type: "client_request",
        id: "n1",
        method: "agent_completion_notify",
        params: { response_id: "resp_hidden", content: "hi" },
      });
      expect(await client.next()).toEqual({
        type: "client_response",
        id: "n1",
        ok: false,
        error: { code: 404, message: "unknown response_id for this stream" },
      });
      expect(harness.notifyCalls).toEqual([]);
    });

    it("answers the handler's own code when it fails, -32603 otherwise", async () => {
      let call = 0;
      const { client, server } = await setup({
        conduit: {
          notify: async () => {
            call += 1;
            if (call === 1) throw new ConduitError(409, "agent already finished");
            throw new Error("secret internals");
          },
        },
      });
      await server.attached.send(chunk("resp_x", 0, "x"));
      await client.next();
      const notify = {
        type: "client_request",
        method: "agent_completion_notify",
        params: { response_id: "resp_x", content: "c" },
      };
      client.sendJson({ ...notify, id: 1 });
      expect(await client.next()).toEqual({
        type: "client_response",
        id: 1,
        ok: false,
        error: { code: 409, message: "agent already finished" },
      });
      client.sendJson({ ...notify, id: 2 });
      const second = await client.next();
      expect(second).toMatchObject({ id: 2, ok: false, error: { code: JsonRpcErrorCode.InternalError } });
      expect(JSON.stringify(second)).not.toContain("secret internals");
    });

    it("answers -32603 when the handler's code is not an integer, so the answer is still a valid frame", async () => {
      const codes = [Number.NaN, 409.5, Number.POSITIVE_INFINITY];
      const { client, server } = await setup({
        conduit: {
          notify: () => {
            throw Object.assign(new Error("odd code"), { code: codes.shift() });
          },
        },
      });
      await server.attached.send(chunk("resp_odd", 0, "x"));
      await client.next();
      for (let id = 1; id <= 3; id += 1) {
        client.sendJson({
          type: "client_request",
          id,
          method: "agent_completion_notify",
          params: { response_id: "resp_odd", content: "c" },
        });
        const answer = await client.next();
        expect(answer).toMatchObject({ id, ok: false, error: { code: JsonRpcErrorCode.InternalError } });
        expect(decodeServerFrame(JSON.stringify(answer)).ok).toBe(true);
      }
    });

    it("does not let a slow handler delay a later server_response", async () => {
      const gate = deferred();
      let started = 0;
      const { client, server } = await setup({
        conduit: {
          notify: async () => {
            started += 1;
            await gate.promise;
          },
        },
      });
      await server.attached.send(chunk("resp_slow", 0, "x"));
      await client.next();
      const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
      const request = await client.next();
      client.sendJson({
        type: "client_request",
        id: "slow",
        method: "agent_completion_notify",
        params: { response_id: "resp_slow", content: "wait" },
      });
      client.sendJson({ type: "server_response", id: request.id, result: { fast: true } });
      expect(await answer).toMatchObject({ result: { fast: true } });
      expect(started).toBe(1);
      expect(client.frames.length).toBe(0);
      gate.resolve();
      expect(await client.next()).toEqual({ type: "client_response", id: "slow", ok: true });
    });
  });

  describe("elicitation_response", () => {
    const response = (id: number | string, responseId: string, params: Record<string, unknown> = {}) => ({
      type: "client_request",
      id,
      method: "elicitation_response",
      params: {
        response_id: responseId,
        elicitation_id: "elic_1",
        action: "accept",
        content: { name: "Ada" },
        ...params,
      },
    });

    it("reaches the handler for an id of this stream; 404 for another, without calling it; the handler's code", async () => {
      const calls: unknown[][] = [];
      const { harness, client, server } = await setup({
        conduit: {
          elicitationResponse: (...args) => {
            calls.push(args);
            if (args[1] === "elic_settled") throw new ConduitError(409, "the elicitation was already settled");
          },
        },
      });
      const other = await connectWithBody(harness);
      await other.server.attached.send(chunk("resp_theirs", 0, "x"));
      await server.attached.send(chunk("resp_ours", 0, "x"));
      await client.next();

      client.sendJson(response(1, "resp_ours"));
      expect(await client.next()).toEqual({ type: "client_response", id: 1, ok: true });
      expect(calls).toEqual([["resp_ours", "elic_1", "accept", { name: "Ada" }]]);

      // Seen on another socket only: not this stream's.
      client.sendJson(response(2, "resp_theirs"));
      expect(await client.next()).toEqual({
        type: "client_response",
        id: 2,
        ok: false,
        error: { code: 404, message: "unknown response_id for this stream" },
      });
      expect(calls).toHaveLength(1);

      client.sendJson(
        response(3, "resp_ours", { elicitation_id: "elic_settled", action: "decline", content: undefined }),
      );
      expect(await client.next()).toEqual({
        type: "client_response",
        id: 3,
        ok: false,
        error: { code: 409, message: "the elicitation was already settled" },
      });
      expect(calls[1]).toEqual(["resp_ours", "elic_settled", "decline", undefined]);
    });

    it("answers -32602 for invalid params and -32601 when no handler is set", async () => {
      const { client, server } = await setup({ conduit: { elicitationResponse: () => undefined } });
      await server.attached.send(chunk("resp_ours", 0, "x"));
      await client.next();
      client.sendJson(response(1, "resp_ours", { action: "decline" }));
      expect(await client.next()).toMatchObject({ id: 1, ok: false, error: { code: JsonRpcErrorCode.InvalidParams } });

      const bare = await setup();
      await bare.server.attached.send(chunk("resp_bare", 0, "x"));
      await bare.client.next();
      bare.client.sendJson(response(2, "resp_bare"));
      expect(await bare.client.next()).toMatchObject({
        id: 2,
        ok: false,
        error: { code: JsonRpcErrorCode.MethodNotFound, message: "elicitation_response is not served" },
      });
    });
  });

  it("mcp_list_changed publishes to every id this socket registered, on that mcp only", async () => {
    const { harness, client, server } = await setup();
    const other = await connectWithBody(harness);
    const ids = ["resp_1", "resp_2", "resp_3"];
    for (const id of ids) server.attached.handle.register(id);
    other.server.attached.handle.register("resp_other");

    const pending: string[] = [];
    const subscribe = (id: string, mcp: McpKind) =>
      harness.listeners.subscribe(id, mcp, { onPending: () => pending.push(`${id}:${mcp}`) });
    const subscriptions = ids.map((id) => subscribe(id, FS_MCP));
    const wrongMcp = subscribe("resp_1", OBJECTIVEAI_MCP);
    const otherSocket = subscribe("resp_other", FS_MCP);

    client.sendJson({
      type: "client_request",
      id: 11,
      method: "mcp_list_changed",
      params: { mcp: FS_MCP, list: "tools" },
    });
    expect(await client.next()).toEqual({ type: "client_response", id: 11, ok: true });
    expect(pending.sort()).toEqual(ids.map((id) => `${id}:${FS_MCP}`));
    for (const subscription of subscriptions) expect(subscription?.take()).toEqual(["tools"]);
    expect(wrongMcp?.take()).toEqual([]);
    expect(otherSocket?.take()).toEqual([]);
  });

  it("answers mcp_list_changed ok even when nothing is registered", async () => {
    const { client } = await setup();
    client.sendJson({
      type: "client_request",
      id: 1,
      method: "mcp_list_changed",
      params: { mcp: "objectiveai", list: "prompts" },
    });
    expect(await client.next()).toEqual({ type: "client_response", id: 1, ok: true });
  });

  it("rejects a request the client never answers with a timeout, not a close", async () => {
    const { client, server } = await setup({ conduit: { timeoutMs: 30 } });
    const answer = server.attached.channel.request({ mcp: OBJECTIVEAI_MCP, method: "tools/list", headers: {} });
    await client.next();
    await expect(answer).rejects.toMatchObject({ code: ConduitErrorCode.Timeout });
    expect(server.ws.readyState).toBe(server.ws.OPEN);
  });
});
