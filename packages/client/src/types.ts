import type { Chunk, ElicitationAction, ElicitationContent } from "@conduit/protocol";

/** Where an MCP server lives on the user's machine. */
export type UpstreamSpec =
  | {
      kind: "stdio";
      command: string;
      args?: string[];
      env?: Record<string, string>;
      cwd?: string;
      /** Longest message line the child may write on stdout, in bytes (default 16 MiB); past it the child is ended. */
      maxLineBytes?: number;
    }
  | ({ kind: "http"; url: string; headers?: Record<string, string> } & HttpUpstreamLimits);

/** Bounds on what a Streamable HTTP upstream can make the client hold or wait for. */
export interface HttpUpstreamLimits {
  /** Largest JSON answer body (and error body read), in bytes (default 16 MiB). */
  maxJsonBytes?: number;
  /** Largest single SSE event, in characters of its data and pending line (default 16 MiB). */
  maxSseEventChars?: number;
  /** Longest wait for a TCP/TLS connection, in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Longest wait for an answer's status line and headers, in ms (default 300 000). */
  headersTimeoutMs?: number;
  /** Longest wait for the session's DELETE when the connection closes, in ms (default 2 000). */
  closeTimeoutMs?: number;
}

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
   * terminated (outcome `abnormal`) and every upstream shut down. The opening handshake is bounded
   * by connectTimeoutMs.
   */
  heartbeatMs?: number;
  /**
   * Most upstream connections live at once (default 32): stdio processes and HTTP sessions
   * together, counted from the initialize that opens one until it has closed (a child has exited).
   * Past it, initialize is answered -32005 and nothing is spawned.
   */
  maxUpstreams?: number;
  /**
   * The longest the connection and the opening handshake may take, in ms (default 10 000): a peer
   * that accepts TCP but never answers the upgrade ends as `abnormal` with `failure.kind` "timeout".
   */
  connectTimeoutMs?: number;
  logger?: Logger;
  /** What happens on the session, as it happens (see AttachEvent). A throwing handler is ignored. */
  onEvent?: (event: AttachEvent) => void;
}

/**
 * - `connected`: the upgrade succeeded; `protocol` is the negotiated subprotocol.
 * - `upstream_failed`: a server_request was answered -32004 (the upstream could not be started,
 *   exited, broke or did not answer in time). `phase` is "start" until a request to that mcp has
 *   succeeded once, "run" after; `message` is the answer's message as sent to the API.
 */
export type AttachEvent =
  | { type: "connected"; url: string; protocol: string }
  | { type: "upstream_failed"; mcp: string; method: string; phase: "start" | "run"; message: string };

/** Why the connection could not be made, when it never opened. */
export type ConnectFailure =
  /** The server answered the upgrade with an HTTP status; `message` is its error message or body text (first 4 KiB). */
  | { kind: "http"; status: number; statusText: string; message: string }
  /** Nothing (no upgrade answer) within connectTimeoutMs. */
  | { kind: "timeout"; ms: number }
  /** A socket error such as ECONNREFUSED or ENOTFOUND (`code`, when Node gives one). */
  | { kind: "network"; code: string | undefined; message: string };

export type AttachOutcome =
  | { kind: "finished"; code: 1000 }
  | { kind: "error_frame"; code: number; error: { code: number; message: string } }
  | { kind: "abnormal"; code: number; reason: string; failure?: ConnectFailure };

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
