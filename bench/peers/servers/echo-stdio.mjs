#!/usr/bin/env node
// The stdio upstream every stdio-fronting system runs (supergateway, mcp-proxy, Conduit): the MCP
// SDK's McpServer with one `echo` tool over StdioServerTransport. Nothing else, so what differs
// between the systems is the gateway in front of it.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "bench-echo-stdio", version: "1.0.0" });
server.registerTool(
  "echo",
  { description: "returns its text", inputSchema: { text: z.string() } },
  async ({ text }) => ({
    content: [{ type: "text", text }],
  }),
);
await server.connect(new StdioServerTransport());
