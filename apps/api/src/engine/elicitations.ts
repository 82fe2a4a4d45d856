import { randomBytes } from "node:crypto";
import {
  ConduitErrorCode,
  type Chunk,
  type ElicitationAction,
  type ElicitationContent,
  type ElicitationMode,
  type ElicitationSource,
  type McpKind,
} from "@conduit/protocol";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ChunkFactory } from "./chunk-factory.js";
import { ClientRequestError } from "./errors.js";

/** MCP's ElicitResult, as the agent's SDK client returns it to the upstream. */
export interface ElicitAnswer {
  action: ElicitationAction;
  content?: ElicitationContent;
}

/** An upstream's `elicitation/create`, as the user is shown it. */
export interface ElicitationQuestion {
  mcp: McpKind;
  mode: ElicitationMode;
  message: string;
  requestedSchema?: Record<string, unknown>;
  url?: string;
  /** The agent's tool call in flight on that mcp, if any. */
  toolCallId?: string;
}

export interface ElicitationDeskOptions {
  /** Open elicitations at once (MAX_ELICITATIONS_PER_AGENT); one more is refused with -32005. */
  maxOpen: number;
  /** The wait for the user's answer (ELICITATION_TIMEOUT_MS); past it the answer is `cancel`. */
  timeoutMs: number;
  chunks: ChunkFactory;
  /** Resolves once the chunk was handed to the transport; never rejects. */
  emit: (chunk: Chunk) => Promise<void>;
}

/** Settled ids an agent remembers, so a late answer gets 409 rather than 404. */
const REMEMBERED_SETTLED = 256;

interface OpenElicitation {
  resolve(answer: ElicitAnswer): void;
  timer: NodeJS.Timeout;
  detach(): void;
}

export function mintElicitationId(): string {
  return `elic_${randomBytes(16).toString("base64url")}`;
}

/**
 * One agent's elicitations addressed to the human. `ask` streams an
 * `elicitation` chunk and waits for `respond` (the user's
 * `elicitation_response`), the timeout, the request's abort or `close`;
 * whichever comes first settles it, streams its `elicitation_result` chunk
 * and, only once that chunk is out, gives the answer back to the upstream.
 */
export class ElicitationDesk {
  readonly #options: ElicitationDeskOptions;
  readonly #open = new Map<string, OpenElicitation>();
  /** Insertion-ordered: the oldest is forgotten first. */
  readonly #settled = new Set<string>();
  /** Every chunk of this desk goes out through this chain, so an elicitation_result never overtakes its elicitation. */
  #emitted: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: ElicitationDeskOptions) {
    this.#options = options;
  }

  get openCount(): number {
    return this.#open.size;
  }

  async ask(question: ElicitationQuestion, signal: AbortSignal): Promise<ElicitAnswer> {
    if (this.#closed || signal.aborted) return { action: "cancel" };
    if (this.#open.size >= this.#options.maxOpen) {
      throw new McpError(
        ConduitErrorCode.TooManyPending,
        `too many elicitations open for this agent (MAX_ELICITATIONS_PER_AGENT is ${this.#options.maxOpen})`,
      );
    }
    const id = mintElicitationId();
    const answered = new Promise<ElicitAnswer>((resolve) => {
      const onAbort = (): void => this.#settle(id, { action: "cancel" }, "cancelled");
      signal.addEventListener("abort", onAbort, { once: true });
      this.#open.set(id, {
        resolve,
        timer: setTimeout(() => this.#settle(id, { action: "cancel" }, "timeout"), this.#options.timeoutMs),
        detach: () => signal.removeEventListener("abort", onAbort),
      });
    });
    this.#enqueue(
      this.#options.chunks.elicitation({
        id,
        ...(question.toolCallId !== undefined ? { tool_call_id: question.toolCallId } : {}),
        mcp: question.mcp,
        mode: question.mode,
        message: question.message,
        ...(question.requestedSchema !== undefined ? { requested_schema: question.requestedSchema } : {}),
        ...(question.url !== undefined ? { url: question.url } : {}),
      }),
    );
    const answer = await answered;
    await this.#emitted;
    return answer;
  }

  /** The user's answer. Throws ClientRequestError 404 (not this agent's) or 409 (already settled). */
  respond(id: string, action: ElicitationAction, content: ElicitationContent | undefined): void {
    if (this.#open.has(id)) {
      this.#settle(id, action === "accept" && content !== undefined ? { action, content } : { action }, "user");
      return;
    }
    if (this.#settled.has(id)) throw new ClientRequestError(409, "the elicitation was already settled");
    throw new ClientRequestError(404, "unknown elicitation_id for this agent");
  }

  /** Settles every open elicitation as cancelled; resolves once their result chunks are out. Later asks get `cancel`. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#open.keys()]) this.#settle(id, { action: "cancel" }, "cancelled");
    await this.#emitted;
  }

  #settle(id: string, answer: ElicitAnswer, source: ElicitationSource): void {
    const open = this.#open.get(id);
    if (!open) return;
    this.#open.delete(id);
    clearTimeout(open.timer);
    open.detach();
    this.#settled.add(id);
    if (this.#settled.size > REMEMBERED_SETTLED) {
      const oldest = this.#settled.values().next();
      if (!oldest.done) this.#settled.delete(oldest.value);
    }
    this.#enqueue(this.#options.chunks.elicitationResult({ id, action: answer.action, source }));
    open.resolve(answer);
  }

  #enqueue(chunk: Chunk): void {
    this.#emitted = this.#emitted.then(() => this.#options.emit(chunk));
  }
}
