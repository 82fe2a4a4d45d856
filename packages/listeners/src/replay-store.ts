import type { McpKind } from "@conduit/protocol";

export interface ReplayStoreOptions {
  /** Events kept per stream (default 256); older ones are forgotten first. */
  maxEventsPerStream?: number;
  /** Characters of events kept per response id over all its streams (default 1 Mi). */
  maxCharsPerId?: number;
  /** Streams remembered per response id (default 8); the least recently written is forgotten first. */
  maxStreamsPerId?: number;
}

export const DEFAULT_MAX_EVENTS_PER_STREAM = 256;
export const DEFAULT_MAX_REPLAY_CHARS_PER_ID = 1024 * 1024;
export const DEFAULT_MAX_STREAMS_PER_ID = 8;

interface EventLog {
  /** Sequence number of events[0]. */
  first: number;
  next: number;
  events: string[];
  chars: number;
}

interface IdStore {
  /** Keyed by scope (mcp and session) and stream id; Map order = least recently written first. */
  readonly logs: Map<string, EventLog>;
  chars: number;
}

/** An SSE event id: the stream it belongs to and its place in it. */
export interface EventPosition {
  streamId: string;
  seq: number;
}

const EVENT_ID = /^([A-Za-z0-9_-]{1,64})\.(\d{1,15})$/;

export function formatEventId(position: EventPosition): string {
  return `${position.streamId}.${position.seq}`;
}

/** Parses a Last-Event-ID header; undefined when it is not one of ours. */
export function parseEventId(text: string | undefined): EventPosition | undefined {
  if (text === undefined) return undefined;
  const match = EVENT_ID.exec(text.trim());
  if (match === null) return undefined;
  return { streamId: match[1] as string, seq: Number(match[2]) };
}

function logKey(mcp: McpKind, sessionId: string | undefined, streamId: string): string {
  return `${mcp}\n${sessionId ?? ""}\n${streamId}`;
}

/**
 * The events recently written on each GET stream, so that a client that
 * reconnects with `Last-Event-ID` gets what it missed. Scoped: an event is
 * found again only with the same response id, mcp and Mcp-Session-Id it was
 * written for, so one agent can never replay another's events. Bounded per
 * stream, per id in characters, and in streams per id; dropped with the id.
 */
export class ReplayStore {
  readonly #maxEvents: number;
  readonly #maxChars: number;
  readonly #maxStreams: number;
  readonly #byId = new Map<string, IdStore>();

  constructor(options: ReplayStoreOptions = {}) {
    this.#maxEvents = options.maxEventsPerStream ?? DEFAULT_MAX_EVENTS_PER_STREAM;
    this.#maxChars = options.maxCharsPerId ?? DEFAULT_MAX_REPLAY_CHARS_PER_ID;
    this.#maxStreams = options.maxStreamsPerId ?? DEFAULT_MAX_STREAMS_PER_ID;
  }

  /** Records one event text; returns its position (the id to send with it). */
  append(
    responseId: string,
    mcp: McpKind,
    sessionId: string | undefined,
    streamId: string,
    text: string,
  ): EventPosition {
    let store = this.#byId.get(responseId);
    if (store === undefined) {
      store = { logs: new Map(), chars: 0 };
      this.#byId.set(responseId, store);
    }
    const key = logKey(mcp, sessionId, streamId);
    let log = store.logs.get(key);
    if (log === undefined) {
      log = { first: 1, next: 1, events: [], chars: 0 };
      if (store.logs.size >= this.#maxStreams) this.#forgetOldestStream(store);
    } else {
      store.logs.delete(key);
    }
    store.logs.set(key, log);
    const seq = log.next++;
    log.events.push(text);
    log.chars += text.length;
    store.chars += text.length;
    while (log.events.length > this.#maxEvents) this.#shift(store, log);
    while (store.chars > this.#maxChars) {
      const oldest = this.#oldestNonEmpty(store);
      if (oldest === undefined) break;
      this.#shift(store, oldest);
    }
    return { streamId, seq };
  }

  /**
   * The events written after `position` on that stream, oldest first, or
   * undefined when the stream is unknown in this scope or events after the
   * position were already forgotten (the client cannot be made whole).
   */
  after(
    responseId: string,
    mcp: McpKind,
    sessionId: string | undefined,
    position: EventPosition,
  ): { events: string[]; first: number } | undefined {
    const log = this.#byId.get(responseId)?.logs.get(logKey(mcp, sessionId, position.streamId));
    if (log === undefined || position.seq >= log.next || position.seq + 1 < log.first) return undefined;
    const from = position.seq + 1 - log.first;
    return { events: log.events.slice(from), first: position.seq + 1 };
  }

  /** Forgets everything of one response id (it was released). */
  drop(responseId: string): void {
    this.#byId.delete(responseId);
  }

  /** Characters held for one id, or over all ids. */
  chars(responseId?: string): number {
    if (responseId !== undefined) return this.#byId.get(responseId)?.chars ?? 0;
    let total = 0;
    for (const store of this.#byId.values()) total += store.chars;
    return total;
  }

  #shift(store: IdStore, log: EventLog): void {
    const dropped = log.events.shift();
    if (dropped === undefined) return;
    log.first += 1;
    log.chars -= dropped.length;
    store.chars -= dropped.length;
  }

  #oldestNonEmpty(store: IdStore): EventLog | undefined {
    for (const log of store.logs.values()) if (log.events.length > 0) return log;
    return undefined;
  }

  #forgetOldestStream(store: IdStore): void {
    const oldest = store.logs.entries().next();
    if (oldest.done) return;
    store.logs.delete(oldest.value[0]);
    store.chars -= oldest.value[1].chars;
  }
}
