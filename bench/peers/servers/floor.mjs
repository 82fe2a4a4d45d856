#!/usr/bin/env node
// The floor: a raw node:http JSON-RPC server that answers `initialize`, `notifications/*` and
// `tools/call echo` by hand, with no MCP library — the cost of one loopback HTTP round trip plus
// JSON in and out. Prints `listening <port>` once bound on 127.0.0.1.
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";

const JSON_HEADERS = { "content-type": "application/json" };

function answer(res, status, body, headers = JSON_HEADERS) {
  res.writeHead(status, headers);
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

const http = createServer((req, res) => {
  if (req.method === "DELETE") return answer(res, 200, undefined, {});
  if (req.method !== "POST") return answer(res, 405, undefined, {});
  const parts = [];
  req.on("data", (part) => parts.push(part));
  req.on("end", () => {
    let message;
    try {
      message = JSON.parse(Buffer.concat(parts).toString("utf8"));
    } catch {
      return answer(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    }
    if (message.id === undefined) return answer(res, 202, undefined, {});
    if (message.method === "initialize") {
      return answer(
        res,
        200,
        {
          jsonrpc: "2.0",
          id: message.id,
          result: {
            protocolVersion: message.params?.protocolVersion ?? "2025-11-25",
            capabilities: { tools: {} },
            serverInfo: { name: "bench-floor", version: "1.0.0" },
          },
        },
        { ...JSON_HEADERS, "mcp-session-id": randomUUID() },
      );
    }
    if (message.method === "tools/call" && message.params?.name === "echo") {
      const text = message.params.arguments?.text;
      return answer(res, 200, { jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text }] } });
    }
    return answer(res, 200, { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "method not found" } });
  });
});
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${http.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
