// The stdio upstream transport with real child processes: newline-delimited
// JSON, the bound on one line, and the end of a child that ignores SIGTERM.
import { fileURLToPath } from "node:url";
import { afterEach, expect, test } from "vitest";
import { JsonRpcPeer } from "../src/upstream/jsonrpc-peer.js";
import { StdioTransport } from "../src/upstream/stdio.js";
import { isAlive } from "./helpers/processes.js";

const CALL_MS = 20_000;

// Answers every request with a result whose JSON line is exactly SIZE bytes, after a line that is not JSON.
const CHILD = `
const size = Number(process.env.SIZE);
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text) => {
  pending += text;
  for (let end = pending.indexOf("\\n"); end >= 0; end = pending.indexOf("\\n")) {
    const message = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    if (message.id === undefined) continue;
    const empty = JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { pad: "" } });
    process.stdout.write("this line is not JSON\\n");
    process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { pad: "x".repeat(size - empty.length) } }) + "\\n");
  }
});
if (process.env.IGNORE_TERM) {
  process.on("SIGTERM", () => console.error("SIGTERM ignored"));
  setInterval(() => undefined, 1_000);
}
`;

const peers: JsonRpcPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
});

function child(env: Record<string, string>, maxLineBytes?: number): { peer: JsonRpcPeer; transport: StdioTransport } {
  const transport = new StdioTransport(
    {
      kind: "stdio",
      command: process.execPath,
      args: ["-e", CHILD],
      env,
      ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
    },
    {},
    "upstream test",
    () => undefined,
  );
  return { peer: peerOf(transport), transport };
}

test("maxLineBytes: a message line of exactly N bytes is delivered; N+1 ends the child and fails the call", async () => {
  const SIZE = 5_000;
  const fits = child({ SIZE: String(SIZE) }, SIZE);
  await fits.peer.start();
  // The line that is not JSON before it is skipped.
  const answer = await fits.peer.request("tools/list", {}, CALL_MS);
  expect(JSON.stringify({ jsonrpc: "2.0", id: 1, result: answer })).toHaveLength(SIZE);

  const over = child({ SIZE: String(SIZE + 1) }, SIZE);
  await over.peer.start();
  const pid = over.transport.pid as number;
  await expect(over.peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(
    `upstream test closed before answering tools/list: it wrote a message line longer than ${SIZE} bytes (maxLineBytes)`,
  );
  expect(over.peer.isClosed).toBe(true);
  expect(isAlive(pid)).toBe(false);
});

test("close() ends a child that ignores stdin closing and SIGTERM with SIGKILL, and resolves once it has exited", async () => {
  const { peer, transport } = child({ SIZE: "100", IGNORE_TERM: "1" });
  await peer.start();
  await peer.request("ping", {}, CALL_MS);
  const pid = transport.pid as number;
  await peer.close();
  expect(isAlive(pid)).toBe(false);
  expect(peer.isClosed).toBe(true);
});

const CRASH_AT_START = fileURLToPath(new URL("./fixtures/crash-at-start.ts", import.meta.url));
const STDOUT_BANNER = fileURLToPath(new URL("./fixtures/stdout-banner.ts", import.meta.url));
const STRIP_TYPES = ["--experimental-strip-types", "--no-warnings"];

// Misbehaves as MODE says, some after the first line on stdin (so that a request is in flight).
const MISBEHAVING = `
const mode = process.env.MODE;
if (mode === "flood") {
  for (let i = 1; i <= 1000; i++) process.stdout.write("debug output " + i + "\\n");
  process.stdout.write("", () => process.exit(0));
} else if (mode === "banner") {
  process.stdout.write("Server listening on port 3000\\n");
}
process.stdin.once("data", () => {
  if (mode === "many") {
    for (let i = 1; i <= 20; i++) process.stderr.write("line " + i + "\\n");
    process.stderr.write("\\n", () => process.exit(1));
  } else if (mode === "long") {
    for (let i = 1; i <= 5; i++) process.stderr.write(String(i).repeat(2000) + "\\n");
    process.stderr.write("last \\u001b[31mred\\n", () => process.exit(2));
  } else if (mode === "killed") {
    process.stderr.write("about to die\\n", () => process.kill(process.pid, "SIGKILL"));
  }
});
`;

interface Logged {
  level: string;
  message: string;
}

/**
 * A transport for `args` (run by node) whose log lines are collected, a promise of its first
 * warning, and a promise of its onclose reason.
 */
function spawnNode(
  args: string[],
  env: Record<string, string> = {},
): { transport: StdioTransport; logged: Logged[]; warned: Promise<void>; closed: Promise<string | undefined> } {
  const logged: Logged[] = [];
  let onWarn = (): void => undefined;
  const warned = new Promise<void>((resolve) => (onWarn = resolve));
  const transport = new StdioTransport(
    { kind: "stdio", command: process.execPath, args, env },
    {},
    "upstream test",
    (level, message) => {
      logged.push({ level, message });
      if (level === "warn") onWarn();
    },
  );
  const closed = new Promise<string | undefined>((resolve) => {
    transport.onclose = resolve;
  });
  transports.push(transport);
  return { transport, logged, warned, closed };
}

const transports: StdioTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
});

/** A peer over `transport` that collects nothing. */
function peerOf(transport: StdioTransport): JsonRpcPeer {
  const peer = new JsonRpcPeer(transport, {
    name: "upstream test",
    log: () => undefined,
    onNotification: () => undefined,
    onClose: () => undefined,
  });
  peers.push(peer);
  return peer;
}

test("a child that exits at start: the close reason names its exit code and quotes its stderr", async () => {
  const { transport, logged, closed } = spawnNode([...STRIP_TYPES, CRASH_AT_START]);
  await transport.start();
  expect(await closed).toBe(
    "the process exited with code 3; its stderr ended with: loading settings from ./missing.toml | fatal: settings file not found",
  );
  // The lines are still logged as they come, once each.
  expect(logged.filter((entry) => entry.message.includes("stderr:"))).toEqual([
    { level: "info", message: "upstream test stderr: loading settings from ./missing.toml" },
    { level: "info", message: "upstream test stderr: fatal: settings file not found" },
  ]);
});

test("a child that exits while a request is in flight: the request's error carries the exit and the last 5 stderr lines", async () => {
  const { transport } = spawnNode(["-e", MISBEHAVING], { MODE: "many" });
  const peer = peerOf(transport);
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(
    "upstream test closed before answering tools/list: the process exited with code 1; " +
      "its stderr ended with: line 16 | line 17 | line 18 | line 19 | line 20",
  );
});

test("the stderr tail is bounded: lines clipped by forLog, at most 1 KiB, the last line kept", async () => {
  const { transport } = spawnNode(["-e", MISBEHAVING], { MODE: "long" });
  const peer = peerOf(transport);
  await peer.start();
  const error = await peer.request("tools/list", {}, CALL_MS).then(
    () => new Error("answered"),
    (rejected: unknown) => rejected as Error,
  );
  const [head, tail] = error.message.split("; its stderr ended with: ") as [string, string];
  expect(head).toBe("upstream test closed before answering tools/list: the process exited with code 2");
  expect(tail.length).toBeLessThanOrEqual(1024);
  expect(tail.endsWith(" | last \\u001b[31mred")).toBe(true);
  expect(tail).toContain(`${"5".repeat(256)}… (cut from 2000 characters)`);
  expect(tail).toContain("3".repeat(256));
  expect(tail).not.toContain("2222");
});

test("a child ended by a signal: the reason names the signal", async () => {
  const { transport } = spawnNode(["-e", MISBEHAVING], { MODE: "killed" });
  const peer = peerOf(transport);
  await peer.start();
  await expect(peer.request("tools/list", {}, CALL_MS)).rejects.toThrow(
    "upstream test closed before answering tools/list: the process was ended by signal SIGKILL; its stderr ended with: about to die",
  );
});

test("a banner on stdout: one warning with the line and the hint, and the close reason says so", async () => {
  const { transport, logged, closed } = spawnNode([...STRIP_TYPES, STDOUT_BANNER]);
  await transport.start();
  expect(await closed).toBe(
    "the process exited with code 1; it printed 1 line on stdout that is not JSON-RPC " +
      "(MCP stdio servers must print only JSON-RPC on stdout; log to stderr)",
  );
  expect(logged.filter((entry) => entry.level !== "debug")).toEqual([
    {
      level: "warn",
      message:
        'upstream test printed a line on stdout that is not JSON-RPC: "Server listening on port 3000 (this line is not JSON)"; ' +
        "MCP stdio servers must print only JSON-RPC on stdout; log to stderr",
    },
  ]);
});

test("a flood of non-JSON lines on stdout: one warning, then one debug summary with the count", async () => {
  const { transport, logged, closed } = spawnNode(["-e", MISBEHAVING], { MODE: "flood" });
  await transport.start();
  expect(await closed).toContain("it printed 1000 lines on stdout that are not JSON-RPC");
  expect(logged).toEqual([
    { level: "warn", message: expect.stringContaining('"debug output 1"') as string },
    { level: "debug", message: "upstream test: skipped 1000 lines on stdout that are not JSON-RPC" },
  ]);
});

test("a request that times out after the child printed non-JSON on stdout: the error says so", async () => {
  const { transport, warned } = spawnNode(["-e", MISBEHAVING], { MODE: "banner" });
  const peer = peerOf(transport);
  await peer.start();
  // The banner has been read before the request is sent; 50 ms is then only how long the test waits.
  await warned;
  await expect(peer.request("initialize", {}, 50)).rejects.toThrow(
    "upstream test did not answer initialize within 50 ms; it printed 1 line on stdout that is not JSON-RPC " +
      "(MCP stdio servers must print only JSON-RPC on stdout; log to stderr)",
  );
});
