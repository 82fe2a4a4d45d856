import {
  ConduitError,
  decodeServerFrame,
  frameText,
  parseMcpKind,
  type McpKind,
  type ServerRequestFrame,
} from "@conduit/protocol";
import { expect } from "vitest";
import { ReverseChannel, type ReverseChannelOptions, type ServerRequestInit } from "../src/index.js";

export function mcpKind(text: string): McpKind {
  const parsed = parseMcpKind(text);
  if (!parsed.ok) throw new Error(`bad McpKind in a test: ${parsed.reason}`);
  return parsed.kind;
}

export const FS_MCP = mcpKind("acme/files/1.0.0/fs");

export const TOOLS_LIST: ServerRequestInit = {
  mcp: FS_MCP,
  method: "tools/list",
  params: { cursor: "c1" },
  headers: { "mcp-session-id": "sess-1", "x-objectiveai-response-id": "resp_a" },
};

/** A channel whose writer keeps every text frame it was given, in order. */
export function recordingChannel(options: Omit<ReverseChannelOptions, "write"> = {}): {
  channel: ReverseChannel;
  frames: string[];
} {
  const frames: string[] = [];
  const channel = new ReverseChannel({ ...options, write: (frame) => void frames.push(frameText(frame)) });
  return { channel, frames };
}

/** Parses a written frame with the protocol's own decoder and insists it is a server_request. */
export function parseServerRequest(text: string | undefined): ServerRequestFrame {
  expect(typeof text).toBe("string");
  const decoded = decodeServerFrame(text ?? "");
  if (!decoded.ok) throw new Error(`not a valid server frame: ${decoded.error.message}`);
  const frame = decoded.value;
  if (frame.type !== "server_request") throw new Error(`expected a server_request, got ${frame.type}`);
  return frame;
}

export type Outcome<T> = { kind: "resolved"; value: T } | { kind: "rejected"; error: unknown };

/** Watches a promise: `outcome` is filled when it settles and `settlements` counts how often that happened. */
export class Watched<T> {
  outcome: Outcome<T> | undefined;
  settlements = 0;
  /** Resolves with the outcome once the watched promise settles; never rejects. */
  readonly settled: Promise<Outcome<T>>;

  constructor(promise: Promise<T>) {
    this.settled = promise.then(
      (value) => this.#settle({ kind: "resolved", value }),
      (error: unknown) => this.#settle({ kind: "rejected", error }),
    );
  }

  #settle(outcome: Outcome<T>): Outcome<T> {
    this.settlements += 1;
    this.outcome = outcome;
    return outcome;
  }
}

export function watch<T>(promise: Promise<T>): Watched<T> {
  return new Watched(promise);
}

/**
 * Lets already-queued promise reactions run. Every settlement in this package
 * happens synchronously inside the call that causes it (deliver, close, abort,
 * a fired timer), which queues the watcher's reaction at once; the microtask
 * queue is FIFO, so a few turns here run those reactions — no clock involved.
 */
export async function drainReactions(): Promise<void> {
  for (let turn = 0; turn < 3; turn += 1) await Promise.resolve();
}

/** Asserts `error` is a ConduitError with `code` and the HTTP status SPEC §5 gives it. */
export function expectConduitError(error: unknown, code: number, httpStatus: number): ConduitError {
  expect(error).toBeInstanceOf(ConduitError);
  const conduitError = error as ConduitError;
  expect(conduitError.code).toBe(code);
  expect(conduitError.httpStatus).toBe(httpStatus);
  expect(conduitError.toWire()).toMatchObject({ code, message: conduitError.message });
  return conduitError;
}

/** Awaits a promise that must reject and returns the reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await watch(promise).settled;
  if (outcome.kind === "resolved") throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}
