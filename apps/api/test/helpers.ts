import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { attach, type AttachSession, type UpstreamSpec } from "@conduit/client";
import type { Chunk } from "@conduit/protocol";
import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll } from "vitest";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const API_MAIN = join(REPO_ROOT, "apps/api/dist/main.js");
export const CLI_MAIN = join(REPO_ROOT, "packages/client/dist/cli.js");
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const EVERYTHING_WITH_PID = join(FIXTURES, "everything-with-pid.mjs");
export const EXTERNAL_MCP_CLIENT = join(FIXTURES, "external-mcp-client.mjs");

const WAIT_MS = 20_000;

for (const built of [API_MAIN, CLI_MAIN]) {
  if (!existsSync(built))
    throw new Error(`${built} is missing: run \`pnpm turbo build\` from the repository root first`);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Lines of a child's stream, with waiting on a condition (no sleeps). */
export class Lines {
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      this.lines.push(line);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** Resolves with the first line (old or new) that `match` accepts. */
  waitFor(match: (line: string) => boolean, what: string, ms = WAIT_MS): Promise<string> {
    const found = this.lines.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; lines so far:\n${this.lines.slice(-20).join("\n")}`));
      }, ms);
      const check = (): void => {
        const line = this.lines.find(match);
        if (line === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(line);
      };
      this.#waiters.add(check);
    });
  }

  text(): string {
    return this.lines.join("\n");
  }
}

export interface Child {
  proc: ChildProcess;
  stdout: Lines;
  stderr: Lines;
  exited: Promise<Exit>;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

export function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): Child {
  const proc = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  children.add(proc);
  const exited = new Promise<Exit>((resolve) => {
    proc.once("exit", (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  return { proc, stdout: new Lines(proc.stdout!), stderr: new Lines(proc.stderr!), exited };
}

/** Rejects when the child has not exited within `ms` (a bound, not a synchronisation). */
export function exitWithin(child: Child, ms = WAIT_MS): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`child ${child.proc.pid} did not exit within ${ms} ms\n${child.stderr.text()}`)),
      ms,
    );
  });
  return Promise.race([child.exited, timeout]).finally(() => clearTimeout(timer));
}

/** Kills every child still running (by pid) except `keep`, and removes temp dirs; for afterEach/afterAll. */
export async function cleanup(keep: readonly Child[] = []): Promise<void> {
  closeSockets();
  await Promise.all([...librarySessions].map((session) => session.close()));
  librarySessions.clear();
  const running = [...children].filter((proc) => !keep.some((child) => child.proc === proc));
  await Promise.all(
    running.map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once("exit", () => resolve());
          if (proc.pid !== undefined) {
            try {
              process.kill(proc.pid, "SIGKILL");
            } catch {
              resolve();
            }
          }
        }),
    ),
  );
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * One API for the whole file, started in beforeAll with `env`; after each test every child the
 * test started (CLI, external client) is killed, the API kept; afterAll stops it too.
 * Returns the running API (only valid inside a test or hook).
 */
export function useSharedApi(env: NodeJS.ProcessEnv = {}): () => Api {
  let api: Api | undefined;
  beforeAll(async () => {
    api = await startApi(env);
  });
  afterEach(async () => {
    await cleanup(api === undefined ? [] : [api]);
  });
  afterAll(async () => {
    await cleanup();
  });
  return () => {
    if (api === undefined) throw new Error("the shared API is not started yet (useSharedApi starts it in beforeAll)");
    return api;
  };
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "conduit-api-test-"));
  tempDirs.push(dir);
  return dir;
}

export interface Api extends Child {
  port: number;
  mcpPort: number;
  baseUrl: string;
  wsUrl: string;
  mcpUrl: string;
  /** Every stdout line that parsed as a JSON log record. */
  logs(): Record<string, unknown>[];
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the built API on ephemeral ports and resolves once it logged `listening`. */
export async function startApi(env: NodeJS.ProcessEnv = {}): Promise<Api> {
  const child = spawnNode([API_MAIN], {
    ADDRESS: "127.0.0.1",
    PORT: "0",
    MCP_PORT: "0",
    LOG_LEVEL: "info",
    API_KEYS: undefined,
    ...env,
  });
  const line = await Promise.race([
    child.stdout.waitFor((text) => parseJson(text)?.msg === "listening", "the listening log line"),
    child.exited.then((exit) => {
      throw new Error(`the API exited early (${String(exit.code)}): ${child.stderr.text()}\n${child.stdout.text()}`);
    }),
  ]);
  const record = parseJson(line)!;
  const port = Number(record.port);
  const mcpPort = Number(record.mcpPort);
  return {
    ...child,
    port,
    mcpPort,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/agent/completions`,
    mcpUrl: `http://127.0.0.1:${mcpPort}`,
    logs: () =>
      child.stdout.lines.map(parseJson).filter((value): value is Record<string, unknown> => value !== undefined),
  };
}

export interface Cli extends Child {
  /** Chunks printed so far (NDJSON on stdout). */
  chunks(): Chunk[];
  waitForChunk(match: (chunk: Chunk) => boolean, what: string): Promise<Chunk>;
  /** The pid file its stdio upstreams append to. */
  pidFile: string;
  /** The upstream processes started so far: pid and the flags they got. */
  upstreams(): { pid: number; argv: string[] }[];
  notify(line: string): void;
}

export interface CliOptions {
  apiKey?: string;
  /** Serve `objectiveai` from server-everything (default true). */
  everything?: boolean;
}

/** Runs `conduit attach <ws url> --body <file> --json` with server-everything as the `objectiveai` upstream. */
export function startCli(wsUrl: string, body: unknown, options: CliOptions = {}): Cli {
  const dir = tempDir();
  const bodyFile = join(dir, "body.json");
  const pidFile = join(dir, "upstreams.ndjson");
  writeFileSync(bodyFile, JSON.stringify(body));
  const args = [CLI_MAIN, "attach", wsUrl, "--body", bodyFile, "--json"];
  if (options.everything ?? true)
    args.push("--mcp", `objectiveai=${process.execPath} ${EVERYTHING_WITH_PID} ${pidFile}`);
  if (options.apiKey !== undefined) args.push("--api-key", options.apiKey);
  const child = spawnNode(args, { CONDUIT_API_KEY: undefined });
  const chunks = (): Chunk[] => child.stdout.lines.map((line) => JSON.parse(line) as Chunk);
  return {
    ...child,
    pidFile,
    chunks,
    waitForChunk: async (match, what) => {
      const line = await child.stdout.waitFor((text) => match(JSON.parse(text) as Chunk), what);
      return JSON.parse(line) as Chunk;
    },
    upstreams: () =>
      existsSync(pidFile)
        ? readFileSync(pidFile, "utf8")
            .split("\n")
            .filter((line) => line.length > 0)
            .map((line) => JSON.parse(line) as { pid: number; argv: string[] })
        : [],
    notify: (line) => {
      child.proc.stdin!.write(`${line}\n`);
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Groups chunks by agent index. */
export function byIndex(chunks: Chunk[]): Map<number, Chunk[]> {
  const out = new Map<number, Chunk[]>();
  for (const chunk of chunks) {
    const list = out.get(chunk.index) ?? [];
    list.push(chunk);
    out.set(chunk.index, list);
  }
  return out;
}

export function contentOf(chunks: Chunk[]): string {
  return chunks.map((chunk) => chunk.delta?.content ?? "").join("");
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice("data: ".length));
}

export function mockBody(turns: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { agent: { upstream: "mock", turns }, ...extra };
}

export const ECHO = (message: string): unknown => ({
  tool_calls: [{ mcp: "objectiveai", name: "echo", arguments: { message } }],
});
export const DECLARE_EVERYTHING = { client_objectiveai_mcp: { mcps: ["objectiveai"], arguments: {} } };

export interface RawSocket {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  waitForFrame(match: (frame: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
}

/** A bare `ws` client speaking conduit.v1 (for frames the CLI does not show). */
export async function openRawSocket(
  url: string,
  firstFrame: string | Buffer,
  options: { headers?: Record<string, string>; autoPong?: boolean } = {},
): Promise<RawSocket> {
  const ws = new WebSocket(url, "conduit.v1", { headers: options.headers ?? {}, autoPong: options.autoPong ?? true });
  sockets.add(ws);
  const frames: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once("close", (code, reason) => {
      sockets.delete(ws);
      resolve({ code, reason: reason.toString() });
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(firstFrame);
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    waitForFrame: (match, what) => {
      const found = frames.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames).slice(0, 2000)}`));
        }, WAIT_MS);
        const check = (): void => {
          const frame = frames.find(match);
          if (!frame) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(frame);
        };
        waiters.add(check);
      });
    },
  };
}

const sockets = new Set<WebSocket>();

export function closeSockets(): void {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
  for (const timer of dribbles) clearInterval(timer);
  dribbles.clear();
  for (const socket of rawConnections) socket.destroy();
  rawConnections.clear();
}

const rawConnections = new Set<Socket>();
const dribbles = new Set<NodeJS.Timeout>();

/** A raw TCP connection that records what the server sends and when it closes. */
export interface RawConnection {
  socket: Socket;
  text(): string;
  closed: Promise<void>;
  /** Resolves once the text received so far matches (rejects if the connection closes first). */
  received(pattern: RegExp): Promise<string>;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, "127.0.0.1");
  rawConnections.add(socket);
  let text = "";
  const waiters = new Set<() => void>();
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
    for (const wake of [...waiters]) wake();
  });
  // A refused or cut connection may reset: that is an outcome the test checks, not a failure.
  socket.on("error", () => undefined);
  // Not events.once, which rejects on "error": a reset connection settles as closed.
  const closed = new Promise<void>((resolve) => {
    socket.once("close", () => {
      rawConnections.delete(socket);
      resolve();
    });
  });
  await Promise.race([new Promise<void>((resolve) => socket.once("connect", () => resolve())), closed]);
  return {
    socket,
    text: () => text,
    closed,
    received: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(text)) return;
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
        check();
        void closed.then(() => {
          if (waiters.delete(check)) reject(new Error(`closed before ${String(pattern)}; got ${JSON.stringify(text)}`));
        });
      }),
  };
}

/** Sends a POST's head, then its body one byte at a time until the server cuts the connection. */
export async function dribblePost(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawConnection> {
  const raw = await openRaw(port);
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  raw.socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}Content-Length: 100000\r\n\r\n{`,
  );
  const timer = setInterval(() => {
    if (!raw.socket.destroyed) raw.socket.write(" ");
  }, 20);
  dribbles.add(timer);
  void raw.closed.then(() => {
    clearInterval(timer);
    dribbles.delete(timer);
  });
  return raw;
}

const librarySessions = new Set<AttachSession>();

export interface LibrarySession {
  session: AttachSession;
  /** Every chunk so far. */
  chunks: Chunk[];
  waitFor(match: (chunk: Chunk) => boolean, what: string): Promise<Chunk>;
  /** The file server-everything upstreams append their pid and flags to. */
  pidFile: string;
}

/**
 * An in-process attach session (the `@conduit/client` library, as an application would use it)
 * serving `objectiveai` from server-everything unless `mcps` says otherwise; closed by cleanup().
 */
export function startLibrarySession(wsUrl: string, body: unknown, mcps?: Record<string, UpstreamSpec>): LibrarySession {
  const pidFile = join(tempDir(), "upstreams.ndjson");
  const session = attach({
    url: wsUrl,
    body,
    mcps: mcps ?? {
      objectiveai: { kind: "stdio", command: process.execPath, args: [EVERYTHING_WITH_PID, pidFile] },
    },
  });
  librarySessions.add(session);
  const chunks: Chunk[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    for await (const chunk of session) {
      chunks.push(chunk);
      for (const wake of [...waiters]) wake();
    }
  })();
  const waitFor = (match: (chunk: Chunk) => boolean, what: string): Promise<Chunk> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = chunks.find(match);
        if (found) resolve(found);
        return found !== undefined;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}; chunks: ${JSON.stringify(chunks).slice(0, 2000)}`));
      }, WAIT_MS);
      const wake = (): void => {
        if (!check()) return;
        waiters.delete(wake);
        clearTimeout(timer);
      };
      waiters.add(wake);
    });
  return { session, chunks, waitFor, pidFile };
}

/** The chunk a raw-socket frame carries, if it is a chunk frame. */
export const chunkOf = (frame: Record<string, unknown>): Chunk | undefined =>
  frame.type === "chunk" ? (frame.data as Chunk) : undefined;

/** The HTTP status of a refused upgrade (rejects if the upgrade is accepted). */
export function upgradeStatus(url: string, protocol: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol, { headers });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => undefined);
  });
}
