// The demo "agent" of the embedding examples. For each attached socket: read the body, declare its
// mcps, register one response id, call one tool of the first declared mcp through the loopback MCP
// listener (an MCP SDK client with X-OBJECTIVEAI-RESPONSE-ID), stream the result back, finish.
import { mintResponseId } from "@conduit/protocol";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** Error frame code for a failure of the demo itself (HTTP semantics, as the endpoint's own). */
const INTERNAL = 500;

/**
 * The body this demo takes:
 * `{ "client_objectiveai_mcp": { "mcps": ["objectiveai"] }, "tool": { "name": "echo", "arguments": { … } } }`.
 */
export function validateDemoBody(json) {
  const mcps = json?.client_objectiveai_mcp?.mcps;
  if (!Array.isArray(mcps) || mcps.length === 0 || !mcps.every((mcp) => typeof mcp === "string")) {
    return { ok: false, message: "field client_objectiveai_mcp.mcps: expected a non-empty array of strings" };
  }
  const tool = json.tool;
  if (typeof tool?.name !== "string") return { ok: false, message: "field tool.name: expected a string" };
  const args = tool.arguments ?? {};
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    return { ok: false, message: "field tool.arguments: expected an object" };
  }
  return { ok: true, value: { mcps, tool: { name: tool.name, arguments: args } } };
}

/** An `onSession` handler for `createConduitHost`; `host` gives the loopback listener's URL. */
export function demoAgent(host) {
  return async (session) => {
    const body = await session.readBody(validateDemoBody);
    if (!body.ok) return;
    const { mcps, tool } = body.value;
    session.declare(mcps);
    const responseId = mintResponseId();
    session.register(responseId);
    const chunk = (payload) => ({
      id: responseId,
      object: "agent.completion.chunk",
      index: 0,
      created: Math.floor(Date.now() / 1000),
      ...payload,
    });
    const callId = "call_1";
    await session.send(chunk({ tool_call: { id: callId, mcp: mcps[0], name: tool.name, arguments: tool.arguments } }));

    const client = new Client({ name: "conduit-demo-agent", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${host.mcp.url}/${mcps[0]}`), {
      requestInit: { headers: { "X-OBJECTIVEAI-RESPONSE-ID": responseId } },
    });
    try {
      await client.connect(transport, { signal: session.signal });
      const result = await client.callTool({ name: tool.name, arguments: tool.arguments }, undefined, {
        signal: session.signal,
      });
      await session.send(
        chunk({
          tool_result: { tool_call_id: callId, content: result.content ?? [], is_error: result.isError === true },
        }),
      );
      await session.send(chunk({ finish_reason: "stop" }));
    } catch (err) {
      if (session.signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      await session.send(chunk({ error: { code: INTERNAL, message }, finish_reason: "error" }));
    } finally {
      await client.close().catch(() => undefined);
    }
    await session.finish();
  };
}
