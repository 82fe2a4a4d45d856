// An Express app with Conduit mounted next to its own routes: the WebSocket endpoint on the same
// node:http server (its `upgrade` event), the loopback MCP listener beside it, and the demo agent.
import { createServer } from "node:http";
import { createConduitHost } from "@conduit/host";
import { demoAgent } from "@conduit-examples/demo-agent";
import express from "express";

const app = express();
app.get("/hello", (_req, res) => {
  res.json({ hello: "from express" });
});

const host = createConduitHost({
  // In production pass authenticate (a bearer key check) and allowedOrigins here.
  onSession: (session) => agent(session),
});
const agent = demoAgent(host);

const server = createServer(app);
host.attach(server); // ws://…/agent/completions
await host.listenMcp(); // http://127.0.0.1:<port>/<mcp>, for the agents only

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1", () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port} (WebSocket /agent/completions, MCP listener ${host.mcp.url})`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await host.close();
    server.close();
  });
}
