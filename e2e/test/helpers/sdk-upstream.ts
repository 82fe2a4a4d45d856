// In-process HTTP upstreams for the tunnel tests: an SDK McpServer per session
// whose tools name it (whoami), never answer (hang) or echo (shout).
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface SdkHttpUpstream {
  url: string;
  close(): Promise<void>;
}

/** An SDK McpServer over Streamable HTTP on 127.0.0.1, one server instance per session. */
export async function startSdkHttpUpstream(name: string): Promise<SdkHttpUpstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server: Server = createServer(async (req, res) => {
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, transport as StreamableHTTPServerTransport);
        },
      });
      const mcp = new McpServer({ name, version: "9.9.9" });
      mcp.registerTool("whoami", { description: "names this upstream", inputSchema: {} }, async () => ({
        content: [{ type: "text", text: name }],
      }));
      mcp.registerTool("hang", { description: "never answers", inputSchema: {} }, () => new Promise(() => {}));
      mcp.registerTool(
        "shout",
        { description: "upper-cases", inputSchema: { text: z.string() } },
        async ({ text }) => ({ content: [{ type: "text", text: text.toUpperCase() }] }),
      );
      await mcp.connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      for (const transport of transports.values()) await transport.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
