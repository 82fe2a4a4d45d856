#!/usr/bin/env node
// The MCP SDK's own Streamable HTTP server with the same `echo` tool, stateful (one McpServer and
// transport per session, as the SDK's examples do), on 127.0.0.1. It is both the "SDK direct"
// baseline and Conduit's HTTP upstream (a second instance). Prints `listening <port>` once bound.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const sessions = new Map();

function newSession() {
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => sessions.set(id, transport),
    onsessionclosed: (id) => sessions.delete(id),
  });
  const server = new McpServer({ name: "bench-echo-http", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "returns its text", inputSchema: { text: z.string() } },
    async ({ text }) => ({
      content: [{ type: "text", text }],
    }),
  );
  return server.connect(transport).then(() => transport);
}

const http = createServer(async (req, res) => {
  try {
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      if (typeof id === "string") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "session not found" } }));
        return;
      }
      transport = await newSession();
    }
    await transport.handleRequest(req, res);
  } catch (error) {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  }
});
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${http.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
