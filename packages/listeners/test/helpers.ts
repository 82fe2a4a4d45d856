import http from "node:http";
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { mcpKindFromPath } from "@conduit/protocol";
import { openSseStream } from "../src/index.js";
import type { SseStreamRegistry, SseStream, SseStreamOptions } from "../src/index.js";

export const RESPONSE_ID_HEADER = "x-objectiveai-response-id";

/** What the server's res.write calls did, counted by wrapping res.write. */
export interface WriteLog {
  calls: number;
  bytes: number;
  /** The last res.write returned false and no 'drain' has come since. */
  blocked: boolean;
  drains: number;
  /** Resolves at the next res.write call (after it returned). */
  next(): Promise<void>;
}

export type Served =
  | { refused: false; stream: SseStream; res: ServerResponse; writes: WriteLog }
  | { refused: true; headersSentByOpen: boolean };

/** A queue whose shift() waits for the next push. */
class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  shift(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function logWrites(res: ServerResponse): WriteLog {
  let waiters: Array<() => void> = [];
  const log: WriteLog = {
    calls: 0,
    bytes: 0,
    blocked: false,
    drains: 0,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
  const write = res.write.bind(res) as (chunk: string | Uint8Array) => boolean;
  res.write = (chunk: string | Uint8Array): boolean => {
    log.calls += 1;
    log.bytes += Buffer.byteLength(chunk);
    const ok = write(chunk);
    if (!ok) log.blocked = true;
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
    return ok;
  };
  res.on("drain", () => {
    log.drains += 1;
    log.blocked = false;
  });
  return log;
}

/** A node:http server that serves GET /{mcp} as an SSE stream of the registry, answering 429 when refused. */
export class SseTestServer {
  readonly server: Server;
  readonly #served = new Queue<Served>();

  private constructor(registry: SseStreamRegistry, options: SseStreamOptions) {
    this.server = http.createServer((req, res) => {
      const responseId = req.headers[RESPONSE_ID_HEADER];
      const mcp = mcpKindFromPath(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
      if (typeof responseId !== "string" || !mcp.ok) {
        res.writeHead(400).end();
        return;
      }
      const writes = logWrites(res);
      const stream = openSseStream(req, res, registry, responseId, mcp.kind, options);
      if (stream === null) {
        const headersSentByOpen = res.headersSent || writes.calls > 0;
        res.writeHead(429, { "Content-Type": "text/plain" }).end("too many SSE subscribers");
        this.#served.push({ refused: true, headersSentByOpen });
        return;
      }
      this.#served.push({ refused: false, stream, res, writes });
    });
  }

  static async start(registry: SseStreamRegistry, options: SseStreamOptions = {}): Promise<SseTestServer> {
    const server = new SseTestServer(registry, options);
    server.server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    return server;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The next request the server handled, in arrival order. */
  async nextServed(): Promise<Served> {
    return this.#served.shift();
  }

  async nextStream(): Promise<Extract<Served, { refused: false }>> {
    const served = await this.nextServed();
    if (served.refused) throw new Error("the stream was refused");
    return served;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }
}

/** A raw node:http client reading the response body as it arrives. */
export class SseClient {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
  text = "";
  bytes = 0;
  readonly ended: Promise<void>;
  #finished = false;
  readonly #checks = new Set<() => void>();

  private constructor(request: ClientRequest, response: IncomingMessage) {
    this.request = request;
    this.response = response;
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      this.text += chunk;
      this.bytes += Buffer.byteLength(chunk);
      for (const check of [...this.#checks]) check();
    });
    this.ended = new Promise((resolve) => {
      const finish = (): void => {
        this.#finished = true;
        for (const check of [...this.#checks]) check();
        resolve();
      };
      response.once("end", finish);
      response.once("close", finish);
    });
  }

  static async open(port: number, path: string, headers: OutgoingHttpHeaders): Promise<SseClient> {
    const request = http.get({ host: "127.0.0.1", port, path, headers: { accept: "text/event-stream", ...headers } });
    const [response] = (await once(request, "response")) as [IncomingMessage];
    return new SseClient(request, response);
  }

  /** The `data:` payloads received so far, parsed. */
  get messages(): unknown[] {
    return dataPayloads(this.text);
  }

  /** Resolves once `condition` holds on the received data; rejects if the body ends first. */
  waitFor(condition: (client: SseClient) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition(this)) {
          this.#checks.delete(check);
          resolve();
        } else if (this.#finished) {
          this.#checks.delete(check);
          reject(new Error(`the response ended first; received ${JSON.stringify(this.text)}`));
        }
      };
      this.#checks.add(check);
      check();
    });
  }

  destroy(): void {
    this.request.destroy();
  }
}

export function dataPayloads(text: string): unknown[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => JSON.parse(event.slice("data: ".length)) as unknown);
}

/** The list kinds named by the `data:` events of `text`, in order. */
export function listsIn(text: string): string[] {
  return dataPayloads(text).map((payload) => {
    const method = (payload as { method: string }).method;
    return method.split("/")[1] ?? "";
  });
}
