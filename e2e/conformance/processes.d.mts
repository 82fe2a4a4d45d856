// Types of processes.mjs, for the TypeScript tests that reuse it (test/helpers/stack.ts, the suites).
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface Lines {
  readonly lines: string[];
  tail(count?: number): string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
  forced?: boolean;
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly stdout: Lines;
  readonly stderr: Lines;
  readonly exit: Exit | undefined;
  readonly exited: Promise<Exit>;
}

export function spawnNode(
  name: string,
  args: string[],
  options?: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    onStdout?: (line: string) => void;
    onStderr?: (line: string) => void;
  },
): Child;

export function waitForLine<T>(
  child: Child,
  match: (line: string) => T | undefined,
  what: string,
  ms?: number,
  stream?: "stdout" | "stderr",
): Promise<T>;

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T>;

export function stop(child: Child, options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<Exit>;

export function stopAll(): Promise<void>;

export function isAlive(pid: number): boolean;

export function killPid(pid: number): void;

export function parseJsonObject(line: string): Record<string, unknown> | undefined;
