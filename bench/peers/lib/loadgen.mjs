// The load generator: a lean MCP Streamable HTTP client on undici (not the MCP SDK). Per session it
// sends `initialize` and `notifications/initialized`, then `tools/call echo` with a payload no other
// call uses, and checks that each answer (JSON or an SSE stream) is that call's own echo. Any other
// answer throws: a benchmark of wrong answers is worthless.
import { performance } from "node:perf_hooks";
import process from "node:process";
import { URL } from "node:url";
import { Pool } from "undici";

export const PROTOCOL_VERSION = "2025-11-25";
const ACCEPT = "application/json, text/event-stream";

export class BenchFailure extends Error {}

let nextRequestId = 1;
let nextPayload = 0;
/** Unique per run, so an answer replayed from an earlier run could never pass the check. */
const RUN_TAG = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** One target: an HTTP origin + MCP path, with extra headers (Conduit's routing header). */
export class Target {
  constructor({ name, url, headers = {}, connections }) {
    const parsed = new URL(url);
    this.name = name;
    this.path = parsed.pathname + parsed.search;
    this.extraHeaders = headers;
    // Idle connections are closed by this side after 1 s: well inside every server's keep-alive
    // timeout (5 s for a default node:http server), even for SSE answers that send no Keep-Alive
    // hint. A connection left idle between this system's windows is otherwise reused just as the
    // server closes it (ECONNRESET on a POST, which cannot be retried).
    this.pool = new Pool(parsed.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 1_000,
      keepAliveMaxTimeout: 1_000,
    });
  }

  async close() {
    await this.pool.close();
  }

  headers(session) {
    const headers = { accept: ACCEPT, "content-type": "application/json", ...this.extraHeaders };
    if (session) {
      headers["mcp-session-id"] = session;
      headers["mcp-protocol-version"] = PROTOCOL_VERSION;
    }
    return headers;
  }

  async post(session, message) {
    const { statusCode, headers, body } = await this.pool.request({
      path: this.path,
      method: "POST",
      headers: this.headers(session),
      body: JSON.stringify(message),
    });
    const text = await body.text();
    return { statusCode, headers, text };
  }

  /** initialize + notifications/initialized; returns the session id. */
  async openSession() {
    const id = nextRequestId++;
    const init = await this.post(undefined, {
      jsonrpc: "2.0",
      id,
      method: "initialize",
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "bench-peers", version: "1.0.0" },
      },
    });
    const answer = findAnswer(init, id, `${this.name} initialize`);
    if (!answer.result?.protocolVersion) {
      throw new BenchFailure(`${this.name} initialize: no InitializeResult: ${clip(init.text)}`);
    }
    const session = init.headers["mcp-session-id"];
    if (typeof session !== "string" || session === "") {
      throw new BenchFailure(`${this.name} initialize: no Mcp-Session-Id header (status ${init.statusCode})`);
    }
    const note = await this.post(session, { jsonrpc: "2.0", method: "notifications/initialized" });
    if (note.statusCode < 200 || note.statusCode >= 300) {
      throw new BenchFailure(`${this.name} notifications/initialized: HTTP ${note.statusCode} ${clip(note.text)}`);
    }
    return session;
  }

  async closeSession(session) {
    const { statusCode, body } = await this.pool.request({
      path: this.path,
      method: "DELETE",
      headers: this.headers(session),
    });
    await body.dump();
    return statusCode;
  }

  /** One verified tools/call echo; returns its latency in ms. */
  async echo(session) {
    const id = nextRequestId++;
    const text = `${RUN_TAG}.${this.name}.${nextPayload++}`;
    const started = performance.now();
    const reply = await this.post(session, {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "echo", arguments: { text } },
    });
    const elapsed = performance.now() - started;
    const answer = findAnswer(reply, id, `${this.name} tools/call`);
    const content = answer.result?.content;
    if (answer.result?.isError || !Array.isArray(content) || content.length !== 1 || content[0].text !== text) {
      throw new BenchFailure(
        `${this.name} tools/call: expected the echo of ${JSON.stringify(text)}, got ${clip(reply.text)}`,
      );
    }
    return elapsed;
  }
}

/** The JSON-RPC response with `id` from a JSON body or an SSE stream; throws on anything else. */
function findAnswer({ statusCode, headers, text }, id, what) {
  if (statusCode !== 200) throw new BenchFailure(`${what}: HTTP ${statusCode} ${clip(text)}`);
  const type = String(headers["content-type"] ?? "");
  const messages = [];
  try {
    if (type.startsWith("text/event-stream")) {
      for (const event of text.split(/\r?\n\r?\n/)) {
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line[5] === " " ? 6 : 5));
        // A priming event (an id and empty data) carries no message.
        if (data.length > 0 && data.join("").trim() !== "") messages.push(JSON.parse(data.join("\n")));
      }
    } else if (type.startsWith("application/json")) {
      const parsed = JSON.parse(text);
      messages.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    } else {
      throw new BenchFailure(`${what}: unexpected content-type ${JSON.stringify(type)}: ${clip(text)}`);
    }
  } catch (error) {
    if (error instanceof BenchFailure) throw error;
    throw new BenchFailure(`${what}: unparseable answer (${error.message}): ${clip(text)}`);
  }
  const answer = messages.find((message) => message.id === id && ("result" in message || "error" in message));
  if (!answer) throw new BenchFailure(`${what}: no answer with id ${id} in ${clip(text)}`);
  if (answer.error) throw new BenchFailure(`${what}: JSON-RPC error ${JSON.stringify(answer.error)}`);
  return answer;
}

function clip(text) {
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
}

/**
 * Runs `sessions.length`-independent closed loops for `ms`: client i calls on sessions[i] (the same
 * session for every client in the shared cells), one call in flight at a time. Calls started before
 * the deadline all finish and count. Latencies (ms) are appended to `latencies`.
 */
export async function runWindow(target, sessions, ms, latencies) {
  const monotonicStart = process.hrtime.bigint();
  const started = performance.now();
  const deadline = started + ms;
  let calls = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < deadline) {
        latencies.push(await target.echo(session));
        calls++;
      }
    }),
  );
  // CLOCK_MONOTONIC µs, the clock of V8's profile timestamps: lets a --cpu-prof be cut to the windows.
  const monotonicUs = [Number(monotonicStart / 1000n), Number(process.hrtime.bigint() / 1000n)];
  return { calls, ms: performance.now() - started, monotonicUs };
}
