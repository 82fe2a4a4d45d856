// A Fastify app with Conduit mounted next to its own routes: the WebSocket endpoint on Fastify's
// node:http server (`app.server`, its `upgrade` event), the loopback MCP listener, and the demo agent.
import { createConduitHost } from "@conduit/host";
import { demoAgent } from "@conduit-examples/demo-agent";
import Fastify from "fastify";

const app = Fastify();
app.get("/hello", async () => ({ hello: "from fastify" }));

const host = createConduitHost({
  // In production pass authenticate (a bearer key check) and allowedOrigins here.
  onSession: (session) => agent(session),
});
const agent = demoAgent(host);

host.attach(app.server); // ws://…/agent/completions
await host.listenMcp(); // http://127.0.0.1:<port>/<mcp>, for the agents only
app.addHook("onClose", () => host.close());

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? "127.0.0.1" });
const { address, port } = app.server.address();
console.log(`listening on http://${address}:${port} (WebSocket /agent/completions, MCP listener ${host.mcp.url})`);

for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => app.close());
