// Child processes for the relay suite (the typed sibling of conformance/processes.mjs):
// spawn with line-buffered output, wait for a line (never a sleep), stop by pid.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  forced?: boolean;
}

export class Lines {
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      this.lines.push(line);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  watch(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => {
      this.#waiters.delete(wake);
    };
  }

  tail(count = 20): string {
    return this.lines.slice(-count).join("\n");
  }
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly stdout: Lines;
  readonly stderr: Lines;
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
}

/** Every child still running, so stopAll() can end them even after a failure. */
const running = new Set<Child>();

/** Spawns `node args…`; an `undefined` env value removes that variable. */
export function spawnNode(name: string, args: string[], env: Record<string, string | undefined> = {}): Child {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) merged[key] = value;
  const proc = spawn(process.execPath, args, { env: merged, stdio: ["pipe", "pipe", "pipe"] });
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn`);
  let settle: (exit: Exit) => void = () => undefined;
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    stdout: new Lines(proc.stdout),
    stderr: new Lines(proc.stderr),
    exited: new Promise<Exit>((resolve) => (settle = resolve)),
    exit: undefined,
  };
  running.add(child);
  proc.once("exit", (code, signal) => {
    running.delete(child);
    child.exit = { code, signal };
    settle(child.exit);
  });
  return child;
}

/** Resolves with the first stdout line `match` maps to a value; rejects on exit or after `ms` (a bound). */
export function waitForLine<T>(child: Child, match: (line: string) => T | undefined, what: string, ms = 30_000) {
  return new Promise<T>((resolve, reject) => {
    let unwatch = (): void => undefined;
    const finish = (done: () => void) => {
      clearTimeout(timer);
      unwatch();
      done();
    };
    const check = () => {
      for (const line of child.stdout.lines) {
        const value = match(line);
        if (value !== undefined) return finish(() => resolve(value));
      }
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${child.name}: no ${what} within ${ms} ms\n${child.stderr.tail()}`))),
      ms,
    );
    void child.exited.then((exit) =>
      finish(() =>
        reject(new Error(`${child.name} exited (${JSON.stringify(exit)}) before ${what}\n${child.stderr.tail()}`)),
      ),
    );
    unwatch = child.stdout.watch(check);
    check();
  });
}

/** Rejects if `promise` has not settled within `ms` (a bound, not a synchronisation). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops one child by pid: `signal`, then SIGKILL past `graceMs`. */
export async function stop(child: Child, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<Exit> {
  if (child.exit) return child.exit;
  try {
    process.kill(child.pid, signal);
  } catch {
    return child.exited;
  }
  try {
    return await within(child.exited, graceMs, `${child.name} (pid ${child.pid}) after ${signal}`);
  } catch {
    killPid(child.pid);
    return { ...(await child.exited), forced: true };
  }
}

/** Stops every child this module started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, "SIGTERM", 5_000)));
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
