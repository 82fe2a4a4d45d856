import type { IncomingMessage } from "node:http";
import type { ForwardOutcome, ForwardedEvent } from "@conduit/mcp-route";
import type { ElicitationAction, ElicitationContent, Logger } from "@conduit/protocol";
import type { ConduitSession } from "./session.js";

/** true accepts; false refuses with 401; `{ status, body }` refuses with that status and JSON body. */
export type AuthenticateResult = boolean | { status: number; body: unknown };

/** How a request forwarded by the loopback MCP listener ended. */
export type McpOutcome = ForwardOutcome;
/** One request, notification or terminate the loopback MCP listener forwarded, once it settled. */
export type McpTrafficEvent = ForwardedEvent;

/** Options of the loopback MCP listener (`listenMcp()`). */
export interface McpListenOptions {
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Loopback only: 127.0.0.0/8, ::1 or localhost. Default 127.0.0.1. */
  host?: string;
}

export interface ConduitHostOptions {
  /**
   * Called once per accepted WebSocket, with the session to read the body
   * from, declare the mcps, register response ids on and stream chunks to.
   * A rejection is logged and the socket failed with 1011.
   */
  onSession: (session: ConduitSession) => void | Promise<void>;
  /** `agent_completion_notify` (a user's message to an agent it streamed). Throw an Error with a numeric `code` to answer that code. Default: answered -32601. */
  notify?: (responseId: string, content: string) => void | Promise<void>;
  /** The user's answer to an `elicitation` chunk (same error convention). Default: answered -32601. */
  elicitationResponse?: (
    responseId: string,
    elicitationId: string,
    action: ElicitationAction,
    content: ElicitationContent | undefined,
  ) => void | Promise<void>;

  /** Pathname of the WebSocket endpoint for `handleUpgrade` and `attach`. Default `/agent/completions`. */
  path?: string;
  /** Browser origins allowed to upgrade (`https://app.example.com`), or `"*"`. A request without `Origin` is not concerned. Default: none. */
  allowedOrigins?: readonly string[];
  /** Runs before every upgrade (before the path is checked). Default: every upgrade passes. */
  authenticate?: (req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /** WebSocket frame size limit in bytes; past it the socket closes 1009. Default 16 MiB. */
  maxFrameBytes?: number;

  /**
   * The reverse-channel timeout, ms: how long a forwarded MCP request may stay
   * silent before it fails -32003. One value for the socket and the MCP route. Default 30 000.
   */
  timeoutMs?: number;
  /** The longest a forwarded request lasts however often interim messages extend it, ms. Default 10 × timeoutMs. */
  maxTimeoutMs?: number;
  /** Requests in flight per socket. Default 1024. */
  maxPending?: number;
  /** Response ids one socket may register. Default 1024. */
  maxIdsPerSocket?: number;
  /** Ping period, ms; 0 = no pings (then idleTimeoutMs must be 0). Default 15 000; also the GET-SSE keepalive period. */
  heartbeatMs?: number;
  /** A socket that answered none of our pings for this long is terminated; 0 = never. Default 30 000. */
  idleTimeoutMs?: number;
  /** The body frame must arrive within this many ms (error 408, close 1008); 0 = forever. Default 30 000. */
  bodyTimeoutMs?: number;
  /** Invalid frames a socket may send per `invalidFrameWindowMs` before it is closed 1008. Default 100. */
  maxInvalidFrames?: number;
  /** Default 10 000. */
  invalidFrameWindowMs?: number;
  /** GET-SSE list_changed subscribers per response id. Default 16. */
  maxSseSubscribersPerId?: number;

  /** POST body limit of the loopback MCP listener, bytes. Default 4 MiB. */
  maxMcpBodyBytes?: number;
  /** Loopback listener connection limits (see @conduit/mcp-route). */
  mcpHeadersTimeoutMs?: number;
  mcpRequestTimeoutMs?: number;
  mcpKeepAliveTimeoutMs?: number;
  mcpMaxConnections?: number;

  /** The span `snapshot().traffic` counts over, ms. Default 900 000 (15 minutes). */
  trafficWindowMs?: number;
  /** Called after every forwarded MCP request settles (metrics, logs). Must not throw. */
  onMcpTraffic?: (event: McpTrafficEvent) => void;
  logger?: Logger;
}

export const DEFAULT_PATH = "/agent/completions";
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_TRAFFIC_WINDOW_MS = 15 * 60 * 1000;

export function checkedInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min || resolved > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return resolved;
}
