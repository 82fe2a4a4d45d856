// A loopback reverse proxy that adds fixed headers to every request and
// streams both ways without buffering (SSE included). The conformance CLI
// cannot send custom headers; the Conduit MCP route needs
// X-OBJECTIVEAI-RESPONSE-ID on every request, so the suite talks to this.
// Host and Origin pass through unchanged, so the route's own DNS-rebinding
// guard is what the dns-rebinding-protection scenario tests.
import { createServer, request } from "node:http";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function endToEnd(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/**
 * Starts the proxy on 127.0.0.1 (ephemeral port) in front of
 * `http://127.0.0.1:<targetPort>`. Resolves to { port, requests, close() }.
 */
export async function startHeaderProxy({ targetPort, headers }) {
  const inject = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const stats = { requests: 0, upstreamErrors: 0 };

  const server = createServer((req, res) => {
    stats.requests += 1;
    const upstream = request({
      host: "127.0.0.1",
      port: targetPort,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), ...inject },
    });
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      // Send the head now: an SSE stream's first event may come much later.
      res.flushHeaders();
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (error) => {
      stats.upstreamErrors += 1;
      if (res.headersSent) return res.destroy(error);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 502, message: `header proxy: ${error.message}` } }));
    });
    // The client went away before the answer ended (e.g. it closed an SSE
    // stream): end the upstream request too, so the route sees the disconnect.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: server.address().port,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
