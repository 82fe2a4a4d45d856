// Many calls to a real SDK Streamable HTTP server through the HTTP upstream
// transport: connections are reused, and no per-call listener piles up.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterEach, expect, test } from "vitest";
import { z } from "zod";
import { AGENT_INITIALIZE } from "./helpers/fake-api.js";
import { httpPeer } from "./helpers/raw-upstream.js";

const CALL_MS = 20_000;
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A stateful SDK McpServer on 127.0.0.1:0, counting the TCP connections it accepts. */
async function startSdkUpstream(): Promise<{ url: string; connections: () => number }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let connections = 0;
  server = createServer((req, res) => {
    const sessionId = req.headers["mcp-session-id"];
    const known = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (known) {
      void known.handleRequest(req, res);
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void transports.set(id, transport),
    });
    const mcp = new McpServer({ name: "keepalive", version: "1.0.0" });
    mcp.registerTool("shout", { inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: "text", text: text.toUpperCase() }],
    }));
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, connections: () => connections };
}

test("500 calls, 20 at a time, reuse keep-alive connections and emit no MaxListenersExceededWarning", async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on("warning", onWarning);
  try {
    const upstream = await startSdkUpstream();
    const { peer, transport } = httpPeer(upstream.url);
    await peer.start();
    await peer.request("initialize", AGENT_INITIALIZE, CALL_MS);
    transport.setProtocolVersion(AGENT_INITIALIZE.protocolVersion);
    await peer.notify("notifications/initialized", undefined, CALL_MS);

    const call = async (n: number): Promise<void> => {
      const answer = await peer.request("tools/call", { name: "shout", arguments: { text: `call ${n}` } }, CALL_MS);
      expect(answer).toEqual({ content: [{ type: "text", text: `CALL ${n}` }] });
    };
    for (let n = 0; n < 100; n++) await call(n);
    const afterSequential = upstream.connections();
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_unused, i) => call(100 + batch * 20 + i)));
    }
    await peer.close();

    // One for the POSTs, one for the standalone GET stream, and a spare for a POST dispatched before
    // the previous answer's last bytes were read.
    expect(afterSequential).toBeLessThanOrEqual(3);
    // Twenty at once (above the 10 listeners after which Node warns, had a call added one to a shared
    // signal): a batch may start before the last one's sockets are back in the pool (each call is
    // answered by its result event, before the end of its answer), so up to twice twenty, then reused,
    // plus the GET stream, the DELETE and the sequential calls' spare.
    expect(upstream.connections()).toBeLessThanOrEqual(43);
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
  } finally {
    process.off("warning", onWarning);
  }
});
