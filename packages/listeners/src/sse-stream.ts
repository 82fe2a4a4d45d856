import { MAX_TIMER_MS } from "@conduit/protocol";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpKind } from "@conduit/protocol";
import type { SseStreamRegistry } from "./sse-stream-registry.js";
import type { SseSubscription } from "./subscription.js";
import { formatEventId, parseEventId, type EventPosition } from "./replay-store.js";
import type { SubscriptionOptions } from "./subscription.js";
import { SSE_HEADERS, SSE_KEEPALIVE, formatListChangedEvent, formatMessageEvent } from "./sse-format.js";

export interface SseStreamOptions extends SubscriptionOptions {
  /** Period of the `: keepalive` comment in ms (default 15000; 0 turns keepalives off). */
  keepaliveMs?: number;
  /**
   * The request's Last-Event-ID: when it names a stream of this response id,
   * mcp and session still in the replay store, the events after it are written
   * first and the stream continues under the same stream id.
   */
  lastEventId?: string;
}

export interface SseStream {
  readonly subscription: SseSubscription;
  close(): void;
  /** resolves when the stream is closed for any reason */
  readonly closed: Promise<void>;
}

export const DEFAULT_KEEPALIVE_MS = 15_000;

/**
 * Serves a GET-SSE notifications stream on a node:http ServerResponse for (responseId, mcp).
 * Returns null WITHOUT writing anything when the registry refuses the subscription (limit);
 * the caller answers it (e.g. 429).
 */
export function openSseStream(
  req: IncomingMessage,
  res: ServerResponse,
  registry: SseStreamRegistry,
  responseId: string,
  mcp: McpKind,
  options: SseStreamOptions = {},
): SseStream | null {
  const keepaliveMs = options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  if (!Number.isFinite(keepaliveMs) || keepaliveMs < 0 || keepaliveMs > MAX_TIMER_MS) {
    throw new RangeError(`keepaliveMs must be a number from 0 to ${MAX_TIMER_MS}, got ${String(keepaliveMs)}`);
  }
  if (res.headersSent || res.writableEnded) {
    throw new Error("openSseStream: the response has already been started");
  }
  // The handlers cannot fire before subscribe() returns, so the writer is always set when they run.
  const link: { writer?: SseWriter } = {};
  const subscription = registry.subscribe(
    responseId,
    mcp,
    {
      onPending: () => link.writer?.schedule(),
      onClose: () => link.writer?.close(),
    },
    options,
  );
  if (subscription === null) return null;
  const resumed = resume(registry, responseId, mcp, options);
  link.writer = new SseWriter(req, res, subscription, keepaliveMs, {
    registry,
    streamId: resumed?.streamId ?? randomBytes(9).toString("base64url"),
    replayed: resumed?.events ?? [],
  });
  return link.writer;
}

function resume(
  registry: SseStreamRegistry,
  responseId: string,
  mcp: McpKind,
  options: SseStreamOptions,
): { streamId: string; events: string[] } | undefined {
  const position = parseEventId(options.lastEventId);
  if (position === undefined) return undefined;
  const missed = registry.replay.after(responseId, mcp, options.sessionId, position);
  if (missed === undefined) return undefined;
  return {
    streamId: position.streamId,
    events: missed.events.map((text, index) =>
      formatMessageEvent(text, formatEventId({ streamId: position.streamId, seq: missed.first + index })),
    ),
  };
}

interface ReplayLink {
  registry: SseStreamRegistry;
  streamId: string;
  /** Events (already formatted) the client missed, written before anything else. */
  replayed: string[];
}

class SseWriter implements SseStream {
  readonly subscription: SseSubscription;
  readonly closed: Promise<void>;
  readonly #res: ServerResponse;
  #resolveClosed: () => void = () => {};
  #done = false;
  // res.write returned false: write nothing until 'drain'; signals stay coalesced in the subscription.
  #blocked = false;
  #flushQueued = false;
  #timer: NodeJS.Timeout | undefined;

  readonly #replay: ReplayLink;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    subscription: SseSubscription,
    keepaliveMs: number,
    replay: ReplayLink,
  ) {
    this.subscription = subscription;
    this.#res = res;
    this.#replay = replay;
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });

    const gone = (): void => this.#finish(false);
    if (res.destroyed || req.socket.destroyed) {
      gone();
      return;
    }
    // Only the response's 'close' means the client left: the request's own 'close' also fires as soon
    // as its body has been read, while the connection and this stream are still up.
    res.on("close", gone);
    res.on("error", gone);
    res.on("drain", () => {
      if (this.#done) return;
      this.#blocked = false;
      this.#flush();
    });

    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    if (replay.replayed.length > 0) this.#write(replay.replayed.join(""));

    if (keepaliveMs > 0) {
      this.#timer = setInterval(() => {
        if (!this.#blocked) this.#write(SSE_KEEPALIVE);
      }, keepaliveMs);
      this.#timer.unref();
    }
  }

  close(): void {
    this.#finish(true);
  }

  /** Flushes on a microtask, so a burst of publishes becomes one write. */
  schedule(): void {
    if (this.#done || this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#done || this.#blocked) return;
    const lists = this.subscription.take();
    const messages = this.subscription.takeMessages();
    if (lists.length === 0 && messages.length === 0) return;
    this.#write(lists.map(formatListChangedEvent).join("") + messages.map((text) => this.#messageEvent(text)).join(""));
  }

  /** Records the message for replay and formats it with its event id. */
  #messageEvent(text: string): string {
    const { registry, streamId } = this.#replay;
    const { responseId, mcp, sessionId } = this.subscription;
    const position: EventPosition = registry.replay.append(responseId, mcp, sessionId, streamId, text);
    return formatMessageEvent(text, formatEventId(position));
  }

  #write(text: string): void {
    const res = this.#res;
    if (this.#done || res.writableEnded || res.destroyed) return;
    if (!res.write(text)) this.#blocked = true;
  }

  /** `end`: the connection is still up, so end the response; otherwise only clean up. */
  #finish(end: boolean): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#timer);
    this.subscription.close();
    const res = this.#res;
    if (end && !res.destroyed && !res.writableEnded) {
      // A client that stopped reading would hold the socket until its buffered tail drains; drop it instead.
      if (this.#blocked) res.destroy();
      else res.end();
    }
    this.#resolveClosed();
  }
}
