import type { IncomingMessage, Server } from "node:http";
import { SseStreamRegistry, socketHooksFor } from "@conduit/listeners";
import { SUBPROTOCOL, type Chunk } from "@conduit/protocol";
import { parseRequestBody, type RequestBody } from "@conduit/protocol/body";
import { ReverseChannelRegistry } from "@conduit/registry";
import { WebSocket, type ClientOptions } from "ws";
import {
  AttachedSockets,
  createUpgradeHandler,
  type BodyValidator,
  type AttachedSocketsOptions,
  type UpgradeHandler,
  type UpgradeOptions,
} from "../src/index.js";
import type { SocketSession } from "../src/attached-socket.js";
import { listenForUpgrades } from "./upgrade-server.js";

export const PATH = "/agent/completions";

/** An unbounded queue whose `next()` waits for the next pushed item. */
export class AsyncQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  next(): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get length(): number {
    return this.#items.length;
  }
}

export interface Accepted {
  /** The implementation behind the public AttachedSocket, so tests reach its guard, channel and tracker. */
  attached: SocketSession;
  /** The server side `ws` socket (for bufferedAmount). */
  ws: WebSocket;
  req: IncomingMessage;
}

export interface Harness {
  url: string;
  server: Server;
  conduit: AttachedSockets;
  registry: ReverseChannelRegistry;
  listeners: SseStreamRegistry;
  upgrade: UpgradeHandler;
  accepted: AsyncQueue<Accepted>;
  notifyCalls: Array<{ responseId: string; content: string }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  conduit?: Partial<AttachedSocketsOptions>;
  upgrade?: Partial<UpgradeOptions>;
}

const openHarnesses: Harness[] = [];
const openClients: TestClient[] = [];

/** For afterEach: terminates every TestClient and closes every harness the test opened. */
export async function closeOpened(): Promise<void> {
  for (const client of openClients.splice(0)) client.terminate();
  for (const harness of openHarnesses.splice(0)) await harness.close();
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const registry = new ReverseChannelRegistry();
  const listeners = new SseStreamRegistry();
  const notifyCalls: Array<{ responseId: string; content: string }> = [];
  const conduit = new AttachedSockets({
    registry,
    streams: socketHooksFor(listeners),
    notify: (responseId, content) => {
      notifyCalls.push({ responseId, content });
    },
    ...options.conduit,
  });
  const accepted = new AsyncQueue<Accepted>();
  const upgrade = createUpgradeHandler({
    path: PATH,
    onConnection: (ws, req) => accepted.push({ attached: conduit.attach(ws) as SocketSession, ws, req }),
    ...options.upgrade,
  });
  const { server, port } = await listenForUpgrades(upgrade);
  const harness: Harness = {
    url: `ws://127.0.0.1:${port}${PATH}`,
    server,
    conduit,
    registry,
    listeners,
    upgrade,
    accepted,
    notifyCalls,
    async close() {
      await conduit.closeAll(1001, "test over", 200);
      upgrade.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  openHarnesses.push(harness);
  return harness;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A real `ws` client that queues every text frame it receives, parsed. */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames = new AsyncQueue<Record<string, unknown>>();
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;

  constructor(url: string, options: ClientOptions = {}, protocols: string[] = [SUBPROTOCOL]) {
    this.ws = new WebSocket(url, protocols, options);
    openClients.push(this);
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
      this.ws.once("unexpected-response", (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    });
  }

  static async open(url: string, options: ClientOptions = {}, protocols?: string[]): Promise<TestClient> {
    const client = new TestClient(url, options, protocols);
    await client.opened;
    return client;
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  next(): Promise<Record<string, unknown>> {
    return this.frames.next();
  }

  /** The next frame of `type`, skipping others (e.g. chunks) into `skipped`. */
  async nextOfType(type: string, skipped: Array<Record<string, unknown>> = []): Promise<Record<string, unknown>> {
    for (;;) {
      const frame = await this.next();
      if (frame.type === type) return frame;
      skipped.push(frame);
    }
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export const requestBodyValidator: BodyValidator<RequestBody> = (json) => {
  const parsed = parseRequestBody(json);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, message: parsed.error.message };
};

export const MOCK_BODY = { agent: { upstream: "mock", turns: [{ content: "hi" }] }, stream: true };

export function chunk(id: string, index: number, content: string): Chunk {
  return { id, object: "agent.completion.chunk", index, created: 1_700_000_000, delta: { content } };
}

/** Connects a client, sends the mock body and waits until the server has read it. */
export async function connectWithBody(
  harness: Harness,
  options: ClientOptions = {},
  protocols?: string[],
): Promise<{ client: TestClient; server: Accepted }> {
  const client = await TestClient.open(harness.url, options, protocols);
  const server = await harness.accepted.next();
  client.sendJson(MOCK_BODY);
  const body = await server.attached.readBody(requestBodyValidator);
  if (!body.ok) throw new Error("body refused");
  return { client, server };
}

/** Resolves with whether `promise` has settled, after flushing pending microtasks only. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
  return settled;
}

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  obj: object;
  msg: string;
}

/** A logger that records every entry, for asserting what was logged. */
export function captureLogger(): { logger: NonNullable<AttachedSocketsOptions["logger"]>; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (obj: object, msg: string): void => {
      entries.push({ level, obj, msg });
    };
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, entries };
}

/** A promise with its resolve handle, for handlers the test releases by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Status and parsed JSON body of a refused upgrade, as the `ws` client's 'unexpected-response' sees it. */
export async function refusedUpgrade(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on("error", () => {});
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    ws.once("unexpected-response", (_req, response) => resolve(response));
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
  });
  const parts: Buffer[] = [];
  for await (const part of res) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  return { status: res.statusCode ?? 0, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
}
