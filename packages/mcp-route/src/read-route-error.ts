import { CONDUIT_ERRORS, type ConduitErrorInfo } from "./conduit-errors.js";

/** The JSON-RPC error an MCP client error carries, as the route (or the upstream behind it) answered it. */
export interface RouteError {
  /** The JSON-RPC error code: conduit's own (see `conduit`), a standard one, or the upstream's own. */
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
  /**
   * The HTTP status of the route's answer when the error came as a failed HTTP
   * exchange: then the code is certainly the route's or the attach client's,
   * never the upstream's (an upstream's errors travel inside HTTP 200).
   */
  readonly httpStatus?: number;
  /** What the code means when it is one of conduit's own codes. */
  readonly conduit?: ConduitErrorInfo;
}

// Every error body the route writes starts with this, and an MCP SDK client puts it at the end of its message.
const BODY_START = '{"jsonrpc":"2.0"';

/**
 * Reads the route's JSON-RPC error out of what an MCP SDK client threw:
 *
 * - a failed HTTP exchange (SDK 1.x `StreamableHTTPError`, whose `code` is the
 *   HTTP status; SDK 2.x `SdkHttpError`, with `status`): the route's error body,
 *   which the SDK appends to its message;
 * - a JSON-RPC error answer (SDK 1.x `McpError`, SDK 2.x `ProtocolError`): its
 *   numeric `code`. That is an upstream's own error, or a conduit error that
 *   ended a streamed answer; the SDK's own local request timeout is one too.
 *
 * Anything else (not an Error, a network failure, an HTTP failure without the
 * route's body) gives `undefined`.
 */
export function readRouteError(err: unknown): RouteError | undefined {
  if (!(err instanceof Error)) return undefined;
  const fromBody = errorInBody(err.message);
  if (fromBody !== undefined) return withMeaning({ ...fromBody, httpStatus: httpStatusOf(err) });
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "number" || !Number.isInteger(code) || isHttpFailure(err)) return undefined;
  const data = (err as { data?: unknown }).data;
  const prefix = `MCP error ${code}: `;
  const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return withMeaning(data === undefined ? { code, message } : { code, message, data });
}

function withMeaning(error: RouteError): RouteError {
  const conduit = CONDUIT_ERRORS.get(error.code);
  return conduit === undefined ? error : { ...error, conduit };
}

function errorInBody(text: string): Pick<RouteError, "code" | "message" | "data"> | undefined {
  const start = text.indexOf(BODY_START);
  if (start === -1) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof code !== "number" || !Number.isInteger(code) || typeof message !== "string") return undefined;
  return data === undefined ? { code, message } : { code, message, data };
}

/** SDK 2.x puts the HTTP status in `status`; SDK 1.x in `code`. */
function httpStatusOf(err: Error): number | undefined {
  const { status, code } = err as { status?: unknown; code?: unknown };
  if (typeof status === "number") return status;
  return typeof code === "number" && code >= 100 && code <= 599 ? code : undefined;
}

/** SDK 1.x `StreamableHTTPError`: its numeric `code` is an HTTP status (or -1), not a JSON-RPC code. */
function isHttpFailure(err: Error): boolean {
  return err.constructor.name === "StreamableHTTPError";
}
