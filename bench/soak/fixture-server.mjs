#!/usr/bin/env node
// The soak's upstream MCP server (stdio, official SDK). The attach CLI spawns
// one per agent session. Tools:
//   echo      {text, delay_ms?}          → text, after delay_ms (cancellable)
//   progress  {nonce, steps, delay_ms?}  → progress 1..steps (message nonce:i) and one
//                                           logging message per step, then "nonce:done:steps"
//   sample    {nonce}                    → asks the client sampling/createMessage with the nonce,
//                                           returns "sampled:<the client's text>"
//   mutate    {}                         → replaces its extra tool by gen_<n+1>, sends
//                                           tools/list_changed, returns {"generation":n+1}
//   stats     {}                         → {"calls","cancelled","pid"} of this process
// SOAK_PID_FILE, when set, gets this process's pid (the soak checks no upstream outlives its CLI).
import { appendFileSync } from "node:fs";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ListToolsRequestSchema,
  McpError,
  ErrorCode,
} from "@modelcontextprotocol/sdk/types.js";

if (process.env.SOAK_PID_FILE) appendFileSync(process.env.SOAK_PID_FILE, `${process.pid}\n`);

const object = (properties, required = []) => ({ type: "object", properties, required });
const BASE_TOOLS = [
  {
    name: "echo",
    description: "returns its text, after delay_ms",
    inputSchema: object({ text: { type: "string" }, delay_ms: { type: "number" } }, ["text"]),
  },
  {
    name: "progress",
    description: "sends steps progress notifications and logging messages, then answers",
    inputSchema: object({ nonce: { type: "string" }, steps: { type: "number" }, delay_ms: { type: "number" } }, [
      "nonce",
      "steps",
    ]),
  },
  {
    name: "sample",
    description: "asks the client to sample a message and returns its text",
    inputSchema: object({ nonce: { type: "string" } }, ["nonce"]),
  },
  { name: "mutate", description: "changes this server's tool list", inputSchema: object({}) },
  { name: "stats", description: "counters of this process", inputSchema: object({}) },
];

let generation = 0;
let calls = 0;
let cancelled = 0;

const server = new Server(
  { name: "conduit-soak-fixture", version: "1.0.0" },
  { capabilities: { tools: { listChanged: true }, logging: {} } },
);

server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    ...BASE_TOOLS,
    { name: `gen_${generation}`, description: "the extra tool of this generation", inputSchema: object({}) },
  ],
}));

const text = (value) => ({ content: [{ type: "text", text: value }] });

/** Sleeps, or throws once the client cancelled the request. */
async function wait(ms, signal) {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) cancelled++;
    throw error;
  }
}

/** Awaits the sampling request; counts it when the client cancelled the call meanwhile. */
async function sampleOrCancelled(extra, send) {
  try {
    return await send();
  } catch (error) {
    if (extra.signal.aborted) cancelled++;
    throw error;
  }
}

server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  calls++;
  const args = request.params.arguments ?? {};
  switch (request.params.name) {
    case "echo": {
      if (args.delay_ms > 0) await wait(args.delay_ms, extra.signal);
      return text(String(args.text));
    }
    case "progress": {
      const token = request.params._meta?.progressToken;
      const steps = Math.max(1, Math.min(100, Number(args.steps) || 1));
      for (let i = 1; i <= steps; i++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: steps, message: `${args.nonce}:${i}` },
          });
        }
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", logger: "soak", data: { nonce: args.nonce, seq: i } },
        });
        if (args.delay_ms > 0) await wait(args.delay_ms, extra.signal);
      }
      return text(`${args.nonce}:done:${steps}`);
    }
    case "sample": {
      const result = await sampleOrCancelled(extra, () =>
        extra.sendRequest(
          {
            method: "sampling/createMessage",
            params: {
              messages: [{ role: "user", content: { type: "text", text: String(args.nonce) } }],
              maxTokens: 32,
            },
          },
          CreateMessageResultSchema,
          // A cancelled call cancels its sampling request too (the client gets notifications/cancelled).
          { signal: extra.signal },
        ),
      );
      return text(`sampled:${result.content?.text}`);
    }
    case "mutate": {
      generation++;
      await server.sendToolListChanged();
      return text(JSON.stringify({ generation }));
    }
    case "stats":
      return text(JSON.stringify({ calls, cancelled, pid: process.pid }));
    default:
      throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
  }
});

// Ends with its stdin: a CLI that went away must never leave this process behind.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
await server.connect(new StdioServerTransport());
