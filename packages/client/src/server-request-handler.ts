import {
  ConduitErrorCode,
  Header,
  JsonRpcErrorCode,
  LIST_KINDS,
  McpArgumentsSchema,
  SESSION_TERMINATE,
  decodeArgumentsHeader,
  declaresSessionlessRevision,
  isLongLivedMethod,
  listChangedMethod,
  type InitializeServerRequestParams,
  type InitializeServerResponseResult,
  type ListKind,
  type McpArguments,
  type McpKind,
  type ServerRequestFrame,
  type ServerResponseFrame,
} from "@conduit/protocol";
import { ConduitError, UpstreamRpcError, errorMessage } from "./errors.js";
import { forLog } from "./log-text.js";
import type { Relay } from "./relay.js";
import type { Logger, UpstreamSpec } from "./types.js";
import { UpstreamConnection } from "./upstream/connection.js";
import { upstreamRequestHeaders } from "./upstream/http.js";
import type { UpstreamMessage } from "./upstream/jsonrpc-peer.js";
import type { UpstreamPool } from "./upstream/pool.js";

export interface ServerRequestContext {
  mcps: ReadonlyMap<string, UpstreamSpec>;
  /** The mcps the request body declared (client_objectiveai_mcp.mcps): the only ones served. */
  declared: ReadonlySet<string>;
  pool: UpstreamPool;
  timeoutMs: number;
  /** The bound of a long-lived request (`subscriptions/listen`) instead of `timeoutMs`. */
  maxListenMs: number;
  log: Logger;
  /** Sends an `mcp_list_changed` client_request on the socket. */
  publishListChanged: (mcp: McpKind, list: ListKind) => void;
  /** conduit.v2: the relay of interim messages, upstream requests and cancels; undefined on v1. */
  relay: Relay | undefined;
}

const LIST_CHANGED_METHODS: ReadonlyMap<string, ListKind> = new Map(
  LIST_KINDS.map((list) => [listChangedMethod(list), list]),
);
const UNKNOWN_SESSION = "unknown or terminated Mcp-Session-Id";

/**
 * The attach client's own failures (not an upstream's JSON-RPC error) are
 * marked `conduit: true` on v2, so the route answers them with their HTTP
 * status (an unknown session is 404, so MCP clients re-initialize).
 */
function ownError(error: ConduitError, context: ServerRequestContext): { conduit?: true } {
  return context.relay !== undefined && !(error instanceof UpstreamRpcError) ? { conduit: true } : {};
}

/**
 * Notifications from the agent that are answered but not forwarded:
 * - `notifications/initialized`: the client already sent its own right after initialize, and a
 *   second one makes an SDK server run its post-initialize hooks twice;
 * - `notifications/cancelled`: its requestId is in the agent's id space, which the client never
 *   sees (it numbers upstream requests itself), so forwarding it could cancel an unrelated call.
 */
const DROPPED_NOTIFICATIONS: ReadonlySet<string> = new Set(["notifications/initialized", "notifications/cancelled"]);

/** Answers one server_request. Never throws: every request gets exactly one server_response. */
export async function handleServerRequest(
  frame: ServerRequestFrame,
  context: ServerRequestContext,
): Promise<ServerResponseFrame> {
  if (!context.declared.has(frame.mcp)) return notDeclared(frame, context);
  try {
    const result = await dispatch(frame, context);
    return { type: "server_response", id: frame.id, result };
  } catch (error) {
    if (error instanceof ConduitError) {
      context.log(
        "debug",
        `${forLog(frame.method)} for ${forLog(frame.mcp)} failed: ${error.code} ${forLog(error.message)}`,
      );
      return { type: "server_response", id: frame.id, error: error.toWire(), ...ownError(error, context) };
    }
    context.log(
      "error",
      `internal error answering ${forLog(frame.method)} for ${forLog(frame.mcp)}: ${forLog(errorMessage(error))}`,
    );
    return {
      type: "server_response",
      id: frame.id,
      error: { code: JsonRpcErrorCode.InternalError, message: `attach client internal error: ${errorMessage(error)}` },
      ...(context.relay === undefined ? {} : { conduit: true as const }),
    };
  }
}

/** SPEC §5/§8: an mcp the body did not declare is refused before anything is spawned or forwarded. */
function notDeclared(frame: ServerRequestFrame, context: ServerRequestContext): ServerResponseFrame {
  const mcp = forLog(frame.mcp);
  context.log("debug", `refused ${forLog(frame.method)} for ${mcp}: not declared by this request`);
  return {
    type: "server_response",
    id: frame.id,
    error: { code: ConduitErrorCode.NoReverseChannel, message: `mcp ${mcp} is not declared by this request` },
  };
}

function dispatch(frame: ServerRequestFrame, context: ServerRequestContext): Promise<unknown> {
  if (frame.method === "initialize") return initialize(frame, context);
  if (frame.method === SESSION_TERMINATE) return terminate(frame, context);
  if (frame.method.startsWith("notifications/")) return forwardNotification(frame, context);
  return forwardRequest(frame, context);
}

async function initialize(
  frame: ServerRequestFrame,
  context: ServerRequestContext,
): Promise<InitializeServerResponseResult> {
  const params = parseInitializeParams(frame.params);
  const responseId = responseIdOf(frame);
  const connection = newConnection(
    frame.mcp,
    params.arguments,
    context,
    responseId === undefined ? {} : { responseId },
  );
  await trackAndStart(connection, context);
  try {
    const result = await connection.peer.request("initialize", params.initialize, context.timeoutMs);
    connection.afterInitialize(result);
    await connection.peer.notify("notifications/initialized", undefined, context.timeoutMs);
    const sessionId = context.pool.bind(connection);
    if (sessionId === undefined) throw shuttingDown();
    connection.sessionId = sessionId;
    context.log("info", `${connection.description} initialized, session ${sessionId.slice(0, 8)}…`);
    return { result, mcp_session_id: sessionId };
  } catch (error) {
    void connection.close();
    throw error;
  }
}

async function terminate(frame: ServerRequestFrame, context: ServerRequestContext): Promise<Record<string, never>> {
  const sessionId = sessionIdOf(frame);
  const connection = sessionId === undefined ? undefined : context.pool.unbind(sessionId);
  if (connection) {
    context.log("info", `terminating ${connection.description}`);
    await connection.terminate(context.log, context.timeoutMs);
  }
  return {};
}

async function forwardNotification(
  frame: ServerRequestFrame,
  context: ServerRequestContext,
): Promise<Record<string, never>> {
  const connection = await connectionFor(frame, context);
  if (DROPPED_NOTIFICATIONS.has(frame.method)) {
    context.log("debug", `not forwarding ${forLog(frame.method)} to ${connection.description}`);
  } else {
    await connection.peer.notify(frame.method, frame.params, context.timeoutMs);
  }
  return {};
}

/**
 * On v2 the call relays what the upstream sends while it runs, and can be cancelled by the API.
 * A long-lived request (`subscriptions/listen`) is bounded by maxListenMs, not by the silence timeout.
 */
async function forwardRequest(frame: ServerRequestFrame, context: ServerRequestContext): Promise<unknown> {
  const connection = await connectionFor(frame, context);
  const timeoutMs = isLongLivedMethod(frame.method) ? context.maxListenMs : context.timeoutMs;
  const headers = upstreamRequestHeaders(frame.headers);
  const options = {
    ...(isLongLivedMethod(frame.method) ? { maxTimeoutMs: context.maxListenMs } : {}),
    ...(headers === undefined ? {} : { headers }),
  };
  const relay = context.relay;
  if (relay === undefined) {
    return connection.peer.call(frame.method, frame.params, timeoutMs, undefined, options).answer;
  }
  const call = connection.peer.call(
    frame.method,
    frame.params,
    timeoutMs,
    (message) => relay.interim(frame.id, connection, message),
    options,
  );
  relay.track(frame.id, connection, call.id);
  return call.answer.finally(() => relay.untrack(frame.id));
}

/**
 * The connection a request or notification goes to: its session's when it
 * carries an Mcp-Session-Id; the shared sessionless one of its mcp when it
 * carries none and declares MCP 2026-07-28 or later (MCP-Protocol-Version
 * header or `_meta` protocol version); otherwise -32001, so the route answers
 * 404 and a 2025-era client re-initializes.
 */
function connectionFor(frame: ServerRequestFrame, context: ServerRequestContext): Promise<UpstreamConnection> {
  const sessionId = sessionIdOf(frame);
  if (
    sessionId === undefined &&
    declaresSessionlessRevision(headerOf(frame, Header.McpProtocolVersion), frame.params)
  ) {
    return sharedConnection(frame, context);
  }
  const connection = sessionId === undefined ? undefined : context.pool.get(sessionId);
  if (!connection || connection.mcp !== frame.mcp) {
    return Promise.reject(new ConduitError(ConduitErrorCode.NoReverseChannel, UNKNOWN_SESSION));
  }
  return Promise.resolve(connection);
}

/**
 * The shared sessionless connection of the frame's mcp, started on first use
 * with the arguments of its `X-OBJECTIVEAI-ARGUMENTS` header (decoded as for
 * initialize). There is one per mcp and argument set: an agent never reaches a
 * process started with another agent's arguments. No initialize handshake is
 * sent (a 2026-07-28 upstream has none); it counts against maxUpstreams.
 */
function sharedConnection(frame: ServerRequestFrame, context: ServerRequestContext): Promise<UpstreamConnection> {
  const args = decodeArgumentsHeader(headerOf(frame, Header.Arguments));
  const key = `${frame.mcp}\n${JSON.stringify(args)}`;
  return context.pool.shared(key, () => openShared(frame.mcp, args, key, context));
}

/** Takes a slot in the pool (within maxUpstreams) and starts the connection; frees the slot if it cannot start. */
async function trackAndStart(connection: UpstreamConnection, context: ServerRequestContext): Promise<void> {
  const tracked = context.pool.track(connection);
  if (tracked === "full") throw upstreamLimitReached(context);
  if (tracked === "shut-down") throw shuttingDown();
  try {
    await connection.start(context.log);
  } catch (error) {
    context.pool.forget(connection);
    throw error;
  }
}

async function openShared(
  mcp: McpKind,
  args: McpArguments,
  key: string,
  context: ServerRequestContext,
): Promise<UpstreamConnection> {
  const connection = newConnection(mcp, args, context, { sharedKey: key });
  await trackAndStart(connection, context);
  context.log("info", `${connection.description} serves sessionless requests`);
  return connection;
}

/** A connection to `mcp`'s upstream, not started; its closing frees its pool slot and its relayed requests. */
function newConnection(
  mcp: McpKind,
  args: McpArguments,
  context: ServerRequestContext,
  owner: { responseId?: string; sharedKey?: string },
): UpstreamConnection {
  const spec = context.mcps.get(mcp);
  if (!spec) {
    throw new ConduitError(ConduitErrorCode.UpstreamFailed, `no upstream configured for mcp ${mcp}`);
  }
  return new UpstreamConnection({
    mcp,
    spec,
    args,
    log: context.log,
    onNotification: (conn, method) => onUpstreamNotification(conn, method, context),
    ...(context.relay === undefined
      ? {}
      : {
          onUnrelated: (conn: UpstreamConnection, message: UpstreamMessage) => context.relay?.unrelated(conn, message),
        }),
    ...owner,
    onClose: (conn) => {
      context.pool.forget(conn);
      context.relay?.dropConnection(conn);
    },
  });
}

function onUpstreamNotification(connection: UpstreamConnection, method: string, context: ServerRequestContext): void {
  const list = LIST_CHANGED_METHODS.get(method);
  if (list) {
    context.log("debug", `${connection.description}: ${forLog(method)}`);
    context.publishListChanged(connection.mcp, list);
  } else {
    context.log("debug", `${connection.description}: dropped notification ${forLog(method)}`);
  }
}

/** A header of the frame, looked up case-insensitively. */
function headerOf(frame: ServerRequestFrame, name: string): string | undefined {
  const exact = frame.headers[name];
  if (exact !== undefined) return exact;
  for (const [key, value] of Object.entries(frame.headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function sessionIdOf(frame: ServerRequestFrame): string | undefined {
  return headerOf(frame, Header.McpSessionId);
}

function responseIdOf(frame: ServerRequestFrame): string | undefined {
  return headerOf(frame, Header.ResponseId);
}

function parseInitializeParams(params: unknown): InitializeServerRequestParams {
  if (typeof params === "object" && params !== null && "initialize" in params) {
    const candidate = params as { arguments?: unknown; initialize: unknown };
    const args = McpArgumentsSchema.safeParse(candidate.arguments ?? {});
    if (args.success) return { arguments: args.data, initialize: candidate.initialize };
  }
  throw new ConduitError(
    JsonRpcErrorCode.InvalidParams,
    "initialize params must be {arguments: {name: string|null}, initialize: <InitializeRequest params>}",
  );
}

/** maxUpstreams connections are live: refused before anything is spawned; the first refusal is logged at warn. */
function upstreamLimitReached(context: ServerRequestContext): ConduitError {
  const { limit } = context.pool;
  if (context.pool.refusals === 1) {
    context.log(
      "warn",
      `upstream limit reached (${limit} live): further initialize requests are refused with -32005 until one ends (raise it with maxUpstreams / --max-upstreams)`,
    );
  }
  return new ConduitError(
    ConduitErrorCode.TooManyPending,
    `upstream limit reached: this attach session runs at most ${limit} upstream connections (maxUpstreams)`,
  );
}

function shuttingDown(): ConduitError {
  return new ConduitError(ConduitErrorCode.UpstreamFailed, "the attach client is shutting down");
}
