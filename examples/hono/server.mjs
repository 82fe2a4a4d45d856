// A Hono app on Node (@hono/node-server) with Conduit mounted next to its own routes: Hono answers
// requests, the node:http server it runs on hands WebSocket upgrades to Conduit (its `upgrade`
// event, which Hono's fetch handler never sees), plus the loopback MCP listener and the demo agent.
import { createConduitHost } from "@conduit/host";
import { demoAgent } from "@conduit-examples/demo-agent";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/hello", (c) => c.json({ hello: "from hono" }));

const host = createConduitHost({
  // In production pass authenticate (a bearer key check) and allowedOrigins here.
  onSession: (session) => agent(session),
});
const agent = demoAgent(host);
await host.listenMcp(); // http://127.0.0.1:<port>/<mcp>, for the agents only

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? "127.0.0.1" },
  ({ address, port }) => {
    console.log(`listening on http://${address}:${port} (WebSocket /agent/completions, MCP listener ${host.mcp.url})`);
  },
);
host.attach(server); // ws://…/agent/completions

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await host.close();
    server.close();
  });
}
