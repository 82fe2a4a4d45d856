import type { IncomingMessage, ServerResponse } from "node:http";
import { errorMessage, type Chunk } from "@conduit/protocol";
import { startSwarm, swarmSummary } from "../engine/swarm.js";
import type { EngineDeps } from "../engine/agent.js";
import { ResponseWriter, readBody, sendError } from "../http.js";
import type { Logger } from "../logger.js";
import { UnaryAggregate } from "./unary-aggregate.js";
import { validateRequestBody } from "./validate-body.js";

export interface CompletionsPostDeps {
  engine: EngineDeps;
  maxSwarm: number;
  maxBodyBytes: number;
  /** Aborted when shutdown begins: running agents finish "cancelled". */
  shutdownSignal: AbortSignal;
  logger: Logger;
}

export const POST_MCP_REFUSAL = "client_objectiveai_mcp requires the WebSocket transport";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/**
 * POST /agent/completions: SSE (`data: <chunk>` per chunk, then
 * `data: [DONE]`) when stream is true, else one unary JSON response. There is
 * no reverse channel here, so a declared client_objectiveai_mcp is a 400.
 */
export async function handleCompletionsPost(
  req: IncomingMessage,
  res: ServerResponse,
  deps: CompletionsPostDeps,
): Promise<void> {
  const read = await readBody(req, res, deps.maxBodyBytes);
  if (!read.ok) {
    if (read.status !== 0) sendError(res, read.status, read.message);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (err) {
    sendError(res, 400, `the request body is not valid JSON: ${errorMessage(err)}`);
    return;
  }
  const checked = validateRequestBody(json, deps.maxSwarm);
  if (!checked.ok) {
    sendError(res, 400, checked.message);
    return;
  }
  const body = checked.value;
  if (body.client_objectiveai_mcp !== undefined) {
    sendError(res, 400, POST_MCP_REFUSAL);
    return;
  }

  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort(new Error("client went away"));
  });
  const signal = AbortSignal.any([gone.signal, deps.shutdownSignal]);

  const run = async (transport: "sse" | "unary", emit: (chunk: Chunk) => Promise<void>): Promise<void> => {
    const started = Date.now();
    const swarm = startSwarm(deps.engine, { body, emit, signal });
    deps.logger.debug({ n: body.n, transport }, "swarm started");
    const reasons = await swarm.done;
    deps.logger.info(swarmSummary(transport, body, reasons, started), "swarm finished");
  };

  if (body.stream) {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    const writer = new ResponseWriter(res);
    await run("sse", async (chunk) => {
      await writer.write(`data: ${JSON.stringify(chunk)}\n\n`);
    });
    if (!res.writableEnded && !res.destroyed) res.end("data: [DONE]\n\n");
    return;
  }

  const aggregate = new UnaryAggregate();
  await run("unary", (chunk) => {
    aggregate.add(chunk);
    return Promise.resolve();
  });
  if (res.destroyed) return;
  // Written piece by piece (chunked): a swarm's contents are never joined into one string.
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  if (await aggregate.writeTo(new ResponseWriter(res))) res.end();
}
