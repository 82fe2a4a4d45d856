// The request/reply channel between a scale bench and the processes it forks:
// the parent sends `{ seq, cmd, ...args }`, the child answers `{ seq, ok, value }`
// or `{ seq, ok: false, error }`; a child announces itself with `{ ready: value }`.
import { fork } from "node:child_process";
import { once } from "node:events";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";

/** Children still running, so that a failing bench can stop them by pid. */
const running = new Set();

/**
 * Forks `script` (a path relative to this folder) and resolves once it sent
 * `{ ready }`. Rejects if it exits or fails before that.
 */
export async function startChild(script, { execArgv = [], env = {}, args = [] } = {}) {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  running.add(child);
  const exited = once(child, "exit").then(([code, signal]) => {
    running.delete(child);
    return { code, signal };
  });
  const replies = new Map();
  let seq = 0;
  child.on("message", (message) => {
    const reply = replies.get(message.seq);
    if (reply === undefined) return;
    replies.delete(message.seq);
    if (message.ok) reply.resolve(message.value);
    else reply.reject(new Error(`${script}: ${message.error}`));
  });
  void exited.then(({ code, signal }) => {
    for (const reply of replies.values()) reply.reject(new Error(`${script} exited (${code ?? signal})`));
    replies.clear();
  });
  const ready = await Promise.race([
    once(child, "message").then(([message]) => message.ready),
    exited.then(({ code, signal }) => {
      throw new Error(`${script} exited (${code ?? signal}) before it was ready`);
    }),
  ]);
  return {
    pid: child.pid,
    ready,
    exited,
    /** Sends one command and resolves with the child's answer. */
    request(cmd, payload = {}) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        replies.set(id, { resolve, reject });
        child.send({ seq: id, cmd, ...payload });
      });
    },
    /** Asks the child to close (it exits after answering) and waits for the exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await this.request("close").catch(() => {});
      }
      return exited;
    },
  };
}

/** SIGKILLs every child still running (by pid); for a bench that is failing. */
export function killChildren() {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
}

/**
 * The child side: answers the parent's commands with `handlers[cmd](message)`.
 * After `close` has been answered the process exits.
 */
export function serveParent(handlers, readyValue) {
  process.on("message", async (message) => {
    const handler = handlers[message.cmd];
    try {
      if (handler === undefined) throw new Error(`unknown command ${message.cmd}`);
      const value = await handler(message);
      process.send({ seq: message.seq, ok: true, value });
    } catch (error) {
      process.send({ seq: message.seq, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
    if (message.cmd === "close") process.disconnect();
  });
  // The parent is gone (it failed, or was killed): nothing is left to serve.
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: readyValue });
}
