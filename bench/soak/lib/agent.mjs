// One agent session: an official MCP SDK Client on the API's loopback MCP
// listener (Streamable HTTP, X-OBJECTIVEAI-RESPONSE-ID set), as an agent
// process on the API host would have it, plus the soak's operations on it and
// the checks of every answer.
import { createHash, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { errorCode } from "./stats.mjs";

/** A call that has not settled after this long is lost (the route's own timeout is 30 s). */
export const LOST_MS = 60_000;
/** How long a list_changed or a logging message may take to arrive. */
export const SIGNAL_GRACE_MS = 10_000;
/** The reason the soak aborts its cancelled calls with (the SDK rejects with an McpError naming it). */
const SOAK_CANCEL = new Error("soak-cancel");
const isSoakCancel = (error) => error === SOAK_CANCEL || String(error?.message).includes("soak-cancel");
/** Payloads of cancelled calls, so an answer that still comes back for one can be recognised. */
export const cancelledPayloads = new Set();
const MAX_CANCELLED_KEPT = 10_000;

/** The deterministic "model" the agents sample with: a function of the request's text only. */
export function samplingAnswer(text) {
  return `model:${createHash("sha256").update(String(text)).digest("base64url").slice(0, 22)}`;
}

/** The operation mix, by weight. */
export const MIX = [
  ["echo", 36],
  ["slow_echo", 14],
  ["progress", 14],
  ["sample", 14],
  ["cancel", 8],
  ["cancel_progress", 4],
  ["cancel_sample", 4],
  ["list_changed", 6],
];
const MIX_TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);

function pickOp() {
  let roll = Math.random() * MIX_TOTAL;
  for (const [op, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return op;
  }
  return MIX[0][0];
}

const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
const LOST = Symbol("lost");

/**
 * Nonces of the calls in flight, process-wide, so a message that reaches the
 * wrong session is recognised as crossed rather than unknown.
 */
export const owners = {
  /** sampling nonce → session */
  sample: new Map(),
  /** progress nonce → { session, steps, seqs } (logging messages) */
  logs: new Map(),
};

export class AgentSession {
  /**
   * @param {object} o
   * @param {import("./stats.mjs").Stats} o.stats
   * @param {{ slot: number, generation: number, doomed: boolean }} o.cli
   */
  constructor({ cli, index, responseId, mcpUrl, stats, serial }) {
    this.cli = cli;
    this.index = index;
    this.responseId = responseId;
    this.mcpUrl = mcpUrl;
    this.stats = stats;
    this.tag = `${cli.slot}.${cli.generation}.${index}.${serial}`;
    this.seq = 0;
    this.inFlight = 0;
    this.closing = false;
    this.closed = false;
    this.getOpens = 0;
    this.listChanged = 0;
    this.mutating = false;
    this.cancelsAborted = 0;
    this.workers = [];
  }

  /** Errors are expected only once the CLI behind this session is being killed. */
  get doomed() {
    return this.cli.doomed;
  }

  async open() {
    const client = new Client({ name: "conduit-soak-agent", version: "1.0.0" }, { capabilities: { sampling: {} } });
    client.onerror = (error) => {
      const message = String(error?.message ?? error);
      const late = /^Received a response for an unknown message ID: (.*)$/s.exec(message);
      if (late) {
        // The SDK dropped a response whose request it no longer waits for: only a cancelled call may get one.
        let text;
        try {
          text = JSON.parse(late[1]).result?.content?.[0]?.text;
        } catch {
          text = undefined;
        }
        let isError = false;
        try {
          isError = JSON.parse(late[1]).error !== undefined;
        } catch {
          isError = false;
        }
        if (cancelledPayloads.has(text)) this.stats.count("answers after the agent's cancel (ignored by the SDK)");
        // A cancelled call's request failing when its CLI is killed: an error with no payload to attribute.
        else if (isError && (this.doomed || this.closing))
          this.stats.count("errors after the agent's cancel, CLI killed");
        else
          this.stats.fail("crossed", {
            what: "response for no request of this session",
            at: this.tag,
            message: message.slice(0, 200),
          });
        return;
      }
      const progress = /^Received a progress notification for an unknown token: (.*)$/s.exec(message);
      if (progress) {
        let nonce;
        try {
          nonce = String(JSON.parse(progress[1]).params?.message).replace(/:\d+$/, "");
        } catch {
          nonce = undefined;
        }
        if (cancelledPayloads.has(nonce)) this.stats.count("progress after the agent's cancel (ignored by the SDK)");
        else
          this.stats.fail("crossed", {
            what: "progress for no request of this session",
            at: this.tag,
            message: message.slice(0, 200),
          });
        return;
      }
      if (this.closing || this.doomed) return;
      this.stats.count(`transport error: ${message.slice(0, 100)}`);
    };
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const text = request.params.messages?.[0]?.content?.text;
      const owner = owners.sample.get(text);
      if (owner !== this) {
        this.stats.fail(owner ? "crossed" : "wrong", {
          what: "sampling request",
          nonce: String(text).slice(0, 80),
          at: this.tag,
          owner: owner?.tag,
        });
      }
      if (String(text).startsWith("samq/")) {
        // Slow on purpose: the call is cancelled while this request waits for its answer.
        try {
          await delay(rand(150, 400), undefined, { signal: extra.signal });
        } catch (error) {
          this.stats.count("sampling requests cancelled by the upstream while the agent answered");
          throw error;
        }
      }
      this.stats.count("sampling requests answered");
      return {
        role: "assistant",
        content: { type: "text", text: samplingAnswer(text) },
        model: "soak-deterministic",
        stopReason: "endTurn",
      };
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      const data = notification.params.data ?? {};
      const entry = owners.logs.get(data.nonce);
      if (entry === undefined) {
        this.stats.count("logging messages for no known call");
        return;
      }
      if (entry.session !== this) {
        this.stats.fail("crossed", {
          what: "logging message",
          nonce: data.nonce,
          at: this.tag,
          owner: entry.session.tag,
        });
        return;
      }
      entry.seqs.push(data.seq);
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.listChanged++;
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${this.mcpUrl}/objectiveai`), {
      requestInit: { headers: { "x-objectiveai-response-id": this.responseId } },
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if ((init?.method ?? "GET") === "GET" && res.ok) this.getOpens++;
        return res;
      },
    });
    this.client = client;
    this.transport = transport;
    await withTimeout(client.connect(transport), 30_000, "initialize");
    // list_changed and the relayed messages that belong to no request need the GET stream.
    const until = performance.now() + 5_000;
    while (this.getOpens === 0 && performance.now() < until) await delay(20);
    if (this.getOpens === 0) this.stats.fail("no_get_stream", { at: this.tag });
  }

  /** Runs n workers until stop() says so or the session is closing. */
  startWorkers(n, shouldStop, pauseMs) {
    for (let w = 0; w < n; w++) {
      this.workers.push(
        (async () => {
          while (!shouldStop() && !this.closing && !this.doomed) {
            await this.runOp(pickOp());
            await delay(rand(pauseMs[0], pauseMs[1]));
          }
        })(),
      );
    }
  }

  /** Waits for the workers to finish their current op (they stop once `closing` or `doomed`). */
  async drain() {
    await Promise.allSettled(this.workers);
    this.workers = [];
  }

  /** Ends the session: its upstream's counters, then DELETE (session/terminate) unless the CLI is gone. */
  async close({ terminate }) {
    this.closing = true;
    await this.drain();
    if (this.closed || this.client === undefined) return;
    this.closed = true;
    if (terminate) {
      try {
        const result = await withTimeout(this.client.callTool({ name: "stats", arguments: {} }), 10_000, "stats");
        const stats = JSON.parse(result.content[0].text);
        this.stats.count("upstream calls served", stats.calls);
        this.stats.count("cancels aborted by agents (sessions ended with DELETE)", this.cancelsAborted);
        this.stats.count("of which the upstream saw cancelled", stats.cancelled);
      } catch (error) {
        this.stats.fail("unexpected_error", { kind: "stats", code: errorCode(error), at: this.tag });
      }
      try {
        await withTimeout(this.transport.terminateSession(), 10_000, "terminate");
        this.stats.count("sessions terminated");
      } catch (error) {
        this.stats.fail("unexpected_error", { kind: "terminate", code: errorCode(error), at: this.tag });
      }
    }
    await this.client.close().catch(() => undefined);
  }

  async runOp(op) {
    if (op === "list_changed" && this.mutating) op = "echo";
    switch (op) {
      case "echo":
        return this.#echo("echo", 0);
      case "slow_echo":
        return this.#echo("echo", rand(10, 120));
      case "progress":
        return this.#progress();
      case "sample":
        return this.#sample();
      case "cancel":
        return this.#cancel();
      case "cancel_progress":
        return this.#cancelProgress();
      case "cancel_sample":
        return this.#cancelSample();
      case "list_changed":
        return this.#listChanged();
    }
  }

  #nonce(prefix) {
    return `${prefix}/${this.tag}/${++this.seq}/${randomBytes(6).toString("hex")}`;
  }

  /** One tools/call with the lost-answer watchdog; `check(result)` returns a failure or undefined. */
  async #call(kind, params, options, check) {
    const started = performance.now();
    this.inFlight++;
    try {
      const pending = this.client.callTool(params, undefined, { timeout: 2 * LOST_MS, ...options });
      pending.catch(() => undefined);
      const result = await orLost(pending);
      if (result === LOST) {
        this.stats.fail("lost", { kind, at: this.tag, params: JSON.stringify(params).slice(0, 160) });
        return undefined;
      }
      if (result.isError) {
        const text = String(result.content?.[0]?.text).slice(0, 200);
        this.stats.error(kind, "tool isError", this.doomed);
        if (!this.doomed) this.stats.fail("unexpected_error", { kind, code: "tool isError", at: this.tag, text });
        return undefined;
      }
      const failure = check(result);
      if (failure) {
        this.stats.fail(failure.type, { kind, at: this.tag, ...failure.detail });
        return undefined;
      }
      this.stats.ok(kind, performance.now() - started);
      return result;
    } catch (error) {
      if (isSoakCancel(error)) {
        this.stats.cancelled(kind);
        this.cancelsAborted++;
        return undefined;
      }
      const code = errorCode(error);
      const expected = this.doomed;
      this.stats.error(kind, code, expected);
      if (!expected) {
        this.stats.fail("unexpected_error", {
          kind,
          code,
          at: this.tag,
          message: String(error?.message).slice(0, 200),
        });
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  /** Its own payload back, nothing else. */
  #checkText(result, expected, pattern) {
    const text = result.content?.[0]?.text;
    if (text === expected) return undefined;
    return {
      type: pattern.test(String(text)) ? "crossed" : "wrong",
      detail: { expected: expected.slice(0, 120), got: String(text).slice(0, 120) },
    };
  }

  #echo(kind, delayMs) {
    const payload = this.#nonce("echo");
    return this.#call(kind, { name: "echo", arguments: { text: payload, delay_ms: delayMs } }, {}, (result) =>
      this.#checkText(result, payload, /^echo\//),
    );
  }

  async #progress() {
    const nonce = this.#nonce("prog");
    const steps = rand(3, 8);
    const seen = [];
    const entry = { session: this, steps, seqs: [] };
    owners.logs.set(nonce, entry);
    const result = await this.#call(
      "progress",
      { name: "progress", arguments: { nonce, steps, delay_ms: rand(2, 15) } },
      { onprogress: (p) => seen.push(p), resetTimeoutOnProgress: true },
      (result) => {
        const bad = this.#checkText(result, `${nonce}:done:${steps}`, /^prog\//);
        if (bad) return bad;
        const inOrder =
          seen.length === steps && seen.every((p, i) => p.progress === i + 1 && p.message === `${nonce}:${i + 1}`);
        if (inOrder) return undefined;
        const foreign = seen.find((p) => typeof p.message === "string" && !p.message.startsWith(`${nonce}:`));
        return {
          type: foreign ? "crossed" : "progress_mismatch",
          detail: { steps, seen: seen.map((p) => `${p.progress}:${String(p.message).slice(-24)}`).join(",") },
        };
      },
    );
    if (result === undefined) {
      owners.logs.delete(nonce);
      return;
    }
    this.stats.count("progress notifications received", seen.length);
    // Logging messages travel on the call's stream, or on the GET stream when several calls share the
    // upstream connection; either way each must arrive once, in order, by the grace period.
    void this.#checkLogs(nonce, entry);
  }

  async #checkLogs(nonce, entry) {
    const until = performance.now() + SIGNAL_GRACE_MS;
    while (entry.seqs.length < entry.steps && performance.now() < until && !this.closing) await delay(100);
    owners.logs.delete(nonce);
    this.stats.count("logging messages received", entry.seqs.length);
    const sorted = [...entry.seqs].sort((a, b) => a - b);
    const exactlyOnce = sorted.length === entry.steps && sorted.every((seq, i) => seq === i + 1);
    if (exactlyOnce) {
      // Each message exactly once. Their order holds on one stream, but with several calls in flight on
      // the upstream connection some go to the GET stream (not relatable to a call), so order is not checked.
      if (entry.seqs.some((seq, i) => seq !== i + 1))
        this.stats.count("logging calls reordered across POST/GET streams");
      return;
    }
    if (this.closing || this.doomed) {
      this.stats.count("logging checks skipped (session closed)");
      return;
    }
    this.stats.fail(sorted.length < entry.steps ? "logging_lost" : "logging_duplicated", {
      at: this.tag,
      nonce,
      steps: entry.steps,
      seqs: entry.seqs.join(","),
    });
  }

  async #sample() {
    const nonce = this.#nonce("samp");
    owners.sample.set(nonce, this);
    try {
      await this.#call("sample", { name: "sample", arguments: { nonce } }, {}, (result) =>
        this.#checkText(result, `sampled:${samplingAnswer(nonce)}`, /^sampled:/),
      );
    } finally {
      owners.sample.delete(nonce);
    }
  }

  /**
   * Aborts a call after a random delay in `afterMs`. `keys` (its nonce, its answer's text) mark what
   * may still come back for it after the abort as its own, not crossed.
   */
  #abortLater(ac, keys, afterMs) {
    this.stats.count("cancels sent");
    const abort = () => {
      for (const key of keys) cancelledPayloads.add(key);
      while (cancelledPayloads.size > MAX_CANCELLED_KEPT) {
        cancelledPayloads.delete(cancelledPayloads.values().next().value);
      }
      ac.abort(SOAK_CANCEL);
    };
    return setTimeout(abort, rand(afterMs[0], afterMs[1]));
  }

  /** A progress call aborted mid-stream: what came before the abort is a prefix 1..k of its own progress. */
  async #cancelProgress() {
    const nonce = this.#nonce("prog");
    const steps = rand(10, 20);
    const ac = new AbortController();
    const timer = this.#abortLater(ac, [nonce, `${nonce}:done:${steps}`], [60, 250]);
    // Its logging messages still count as this session's (crossed otherwise), without the exactly-once check.
    owners.logs.set(nonce, { session: this, steps, seqs: [] });
    setTimeout(() => owners.logs.delete(nonce), LOST_MS).unref();
    let bad;
    try {
      await this.#call(
        "cancel_progress",
        { name: "progress", arguments: { nonce, steps, delay_ms: rand(20, 40) } },
        {
          signal: ac.signal,
          onprogress: (p) => {
            if (bad === undefined && p.message !== `${nonce}:${p.progress}`) bad = p;
          },
        },
        (result) => this.#checkText(result, `${nonce}:done:${steps}`, /^prog\//),
      );
    } finally {
      clearTimeout(timer);
    }
    if (bad !== undefined)
      this.stats.fail("crossed", { what: "progress of a cancelled call", at: this.tag, nonce, got: bad.message });
  }

  /** A sampling call aborted while its sampling request waits for the agent's (slow) answer. */
  async #cancelSample() {
    const nonce = this.#nonce("samq");
    owners.sample.set(nonce, this);
    const ac = new AbortController();
    const timer = this.#abortLater(ac, [nonce, `sampled:${samplingAnswer(nonce)}`], [60, 150]);
    try {
      await this.#call("cancel_sample", { name: "sample", arguments: { nonce } }, { signal: ac.signal }, (result) =>
        this.#checkText(result, `sampled:${samplingAnswer(nonce)}`, /^sampled:/),
      );
    } finally {
      clearTimeout(timer);
      // The sampling request may still arrive or be answered after the abort: keep its owner a while.
      setTimeout(() => owners.sample.delete(nonce), LOST_MS).unref();
    }
  }

  async #cancel() {
    const payload = this.#nonce("echo");
    const ac = new AbortController();
    const timer = this.#abortLater(ac, [payload], [20, 150]);
    try {
      await this.#call(
        "cancel",
        { name: "echo", arguments: { text: payload, delay_ms: rand(300, 700) } },
        { signal: ac.signal },
        (result) => {
          this.stats.count("cancels answered before the abort");
          return this.#checkText(result, payload, /^echo\//);
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #listChanged() {
    this.mutating = true;
    try {
      const before = this.listChanged;
      const started = performance.now();
      let generation;
      const result = await this.#call("list_changed", { name: "mutate", arguments: {} }, {}, (result) => {
        try {
          generation = JSON.parse(result.content[0].text).generation;
        } catch {
          return { type: "wrong", detail: { got: String(result.content?.[0]?.text).slice(0, 120) } };
        }
        return undefined;
      });
      if (result === undefined) return;
      const until = started + SIGNAL_GRACE_MS;
      while (this.listChanged === before && performance.now() < until && !this.closing && !this.doomed) {
        await delay(20);
      }
      if (this.listChanged === before) {
        if (!this.closing && !this.doomed) this.stats.fail("list_changed_lost", { at: this.tag, generation });
        return;
      }
      this.stats.count("list_changed received after mutate");
      try {
        const { tools } = await withTimeout(this.client.listTools(), LOST_MS, "tools/list");
        if (!tools.some((tool) => tool.name === `gen_${generation}`)) {
          this.stats.fail("crossed", {
            what: "tools/list after list_changed",
            at: this.tag,
            generation,
            names: tools.map((t) => t.name).join(","),
          });
        }
      } catch (error) {
        if (!this.doomed)
          this.stats.fail("unexpected_error", { kind: "tools/list", code: errorCode(error), at: this.tag });
      }
    } finally {
      this.mutating = false;
    }
  }
}

/** The promise's value, or LOST if it has not settled within LOST_MS. */
async function orLost(promise) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, LOST_MS, LOST)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function withTimeout(promise, ms, what) {
  const ac = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(ms, undefined, { signal: ac.signal }).then(() => {
        throw new Error(`${what} did not settle within ${ms} ms`);
      }),
    ]);
  } finally {
    ac.abort();
  }
}
