import {
  ConduitErrorCode,
  Header,
  JsonRpcErrorCode,
  LIST_KINDS,
  McpArgumentsSchema,
  SESSION_TERMINATE,
  listChangedMethod,
  type InitializeServerRequestParams,
  type InitializeServerResponseResult,
  type ListKind,
  type McpKind,
  type ServerRequestFrame,
  type ServerResponseFrame,
} from "@conduit/protocol";
import { ConduitClientError, UpstreamRpcError, errorMessage } from "./errors.js";
import { forLog } from "./log-text.js";
import type { Relay } from "./relay.js";
import type { Logger, UpstreamSpec } from "./types.js";
import { UpstreamConnection } from "./upstream/connection.js";
import type { UpstreamMessage } from "./upstream/jsonrpc-peer.js";
import type { UpstreamPool } from "./upstream/pool.js";

export interface ServerRequestContext {
  mcps: ReadonlyMap<string, UpstreamSpec>;
  /** The mcps the request body declared (client_objectiveai_mcp.mcps): the only ones served. */
  declared: ReadonlySet<string>;
  pool: UpstreamPool;
  timeoutMs: number;
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
function ownError(error: ConduitClientError, context: ServerRequestContext): { conduit?: true } {
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
    if (error instanceof ConduitClientError) {
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
  const spec = context.mcps.get(frame.mcp);
  if (!spec) {
    throw new ConduitClientError(ConduitErrorCode.UpstreamFailed, `no upstream configured for mcp ${frame.mcp}`);
  }

  const connection = UpstreamConnection.create({
    mcp: frame.mcp,
    spec,
    args: params.arguments,
    log: context.log,
    onNotification: (conn, method) => onUpstreamNotification(conn, method, context),
    ...(context.relay === undefined
      ? {}
      : {
          onUnrelated: (conn: UpstreamConnection, message: UpstreamMessage) => context.relay?.unrelated(conn, message),
        }),
    ...(responseIdOf(frame) === undefined ? {} : { responseId: responseIdOf(frame) }),
    onClose: (conn) => {
      context.pool.forget(conn);
      context.relay?.dropConnection(conn);
    },
  });
  const tracked = context.pool.track(connection);
  if (tracked === "full") throw upstreamLimitReached(context);
  if (tracked === "shut-down") throw shuttingDown();
  try {
    await connection.start(context.log);
  } catch (error) {
    context.pool.forget(connection);
    throw error;
  }
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
  const connection = sessionConnection(frame, context);
  if (DROPPED_NOTIFICATIONS.has(frame.method)) {
    context.log("debug", `not forwarding ${forLog(frame.method)} to ${connection.description}`);
  } else {
    await connection.peer.notify(frame.method, frame.params, context.timeoutMs);
  }
  return {};
}

/** On v2 the call relays what the upstream sends while it runs, and can be cancelled by the API. */
function forwardRequest(frame: ServerRequestFrame, context: ServerRequestContext): Promise<unknown> {
  const connection = sessionConnection(frame, context);
  const relay = context.relay;
  if (relay === undefined) return connection.peer.request(frame.method, frame.params, context.timeoutMs);
  const call = connection.peer.call(frame.method, frame.params, context.timeoutMs, (message) =>
    relay.interim(frame.id, connection, message),
  );
  relay.track(frame.id, connection, call.id);
  return call.answer.finally(() => relay.untrack(frame.id));
}

function sessionConnection(frame: ServerRequestFrame, context: ServerRequestContext): UpstreamConnection {
  const sessionId = sessionIdOf(frame);
  const connection = sessionId === undefined ? undefined : context.pool.get(sessionId);
  if (!connection || connection.mcp !== frame.mcp) {
    throw new ConduitClientError(ConduitErrorCode.NoReverseChannel, UNKNOWN_SESSION);
  }
  return connection;
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
  throw new ConduitClientError(
    JsonRpcErrorCode.InvalidParams,
    "initialize params must be {arguments: {name: string|null}, initialize: <InitializeRequest params>}",
  );
}

/** maxUpstreams connections are live: refused before anything is spawned; the first refusal is logged at warn. */
function upstreamLimitReached(context: ServerRequestContext): ConduitClientError {
  const { limit } = context.pool;
  if (context.pool.refusals === 1) {
    context.log(
      "warn",
      `upstream limit reached (${limit} live): further initialize requests are refused with -32005 until one ends (raise it with maxUpstreams / --max-upstreams)`,
    );
  }
  return new ConduitClientError(
    ConduitErrorCode.TooManyPending,
    `upstream limit reached: this attach session runs at most ${limit} upstream connections (maxUpstreams)`,
  );
}

function shuttingDown(): ConduitClientError {
  return new ConduitClientError(ConduitErrorCode.UpstreamFailed, "the attach client is shutting down");
}
