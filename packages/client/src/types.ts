import type { Chunk, ElicitationAction, ElicitationContent } from "@conduit/protocol";

/** Where an MCP server lives on the user's machine. */
export type UpstreamSpec =
  | { kind: "stdio"; command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { kind: "http"; url: string; headers?: Record<string, string> };

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string) => void;

export interface AttachOptions {
  /** `ws://` or `wss://`; `http://` and `https://` are accepted and mapped to `ws(s)://`. */
  url: string | URL;
  /** The request body, sent as the first text frame. */
  body: unknown;
  /** Upstream per McpKind string (`objectiveai` or `owner/name/version/mcp`). */
  mcps?: Record<string, UpstreamSpec>;
  /** Extra headers on the upgrade request, e.g. `Authorization`. */
  headers?: Record<string, string>;
  /** Aborting closes the socket (1001) and every upstream. */
  signal?: AbortSignal;
  /** Per upstream call; default 60 000. */
  upstreamTimeoutMs?: number;
  /**
   * The longest a long-lived upstream call (`subscriptions/listen`, MCP 2026-07-28) may stay
   * open, in ms (default 3 600 000): it is not ended by `upstreamTimeoutMs` of silence.
   */
  maxListenMs?: number;
  /**
   * The client pings the server at this interval (default 30 000; 0 turns it off). A server that
   * sends nothing back — no pong, ping or frame — for two intervals is taken as gone: the socket is
   * terminated (outcome `abnormal`) and every upstream shut down. The opening handshake has the
   * same bound.
   */
  heartbeatMs?: number;
  /**
   * Most upstream connections live at once (default 32): stdio processes and HTTP sessions
   * together, counted from the initialize that opens one until it has closed (a child has exited).
   * Past it, initialize is answered -32005 and nothing is spawned.
   */
  maxUpstreams?: number;
  logger?: Logger;
}

export type AttachOutcome =
  | { kind: "finished"; code: 1000 }
  | { kind: "error_frame"; code: number; error: { code: number; message: string } }
  | { kind: "abnormal"; code: number; reason: string };

export interface AttachSession extends AsyncIterable<Chunk> {
  /** Sends `agent_completion_notify`; rejects with a `ConduitError` (has `code`) on an error answer. */
  notify(responseId: string, content: string): Promise<void>;
  /**
   * Answers an `elicitation` chunk (sends `elicitation_response`): `content` only with `accept`.
   * Rejects with a `ConduitError`: 404 (not an elicitation of that agent in this stream),
   * 409 (already settled, or the agent finished), and with a TypeError for bad arguments.
   */
  respondElicitation(
    responseId: string,
    elicitationId: string,
    action: ElicitationAction,
    content?: ElicitationContent,
  ): Promise<void>;
  /** Closes the socket and every upstream; resolves once both are done. */
  close(code?: number): Promise<void>;
  /** Resolves when the socket has closed and every upstream is shut down. Never rejects. */
  readonly closed: Promise<AttachOutcome>;
}
