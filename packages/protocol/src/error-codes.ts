/** JSON-RPC 2.0 standard error codes. */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;

/** Conduit's own error codes (SPEC §5), in the JSON-RPC server-error range. */
export const ConduitErrorCode = {
  /** No reverse channel is registered for the response id. */
  NoReverseChannel: -32001,
  /** The channel closed or dropped before the answer came back. */
  ChannelClosed: -32002,
  /** The attach client did not answer within the request timeout. */
  Timeout: -32003,
  /** The attach client's upstream MCP server failed. */
  UpstreamFailed: -32004,
  /** Too many requests are in flight on this channel. */
  TooManyPending: -32005,
  /** The request was cancelled (the agent's notifications/cancelled, or its HTTP request went away). */
  Cancelled: -32800,
} as const;

export type ConduitErrorCodeValue = (typeof ConduitErrorCode)[keyof typeof ConduitErrorCode];
export type JsonRpcErrorCodeValue = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];

const HTTP_STATUS_BY_CODE: ReadonlyMap<number, number> = new Map([
  [ConduitErrorCode.NoReverseChannel, 404],
  [ConduitErrorCode.ChannelClosed, 503],
  [ConduitErrorCode.Timeout, 504],
  [ConduitErrorCode.UpstreamFailed, 502],
  [ConduitErrorCode.TooManyPending, 429],
  [ConduitErrorCode.Cancelled, 499],
  [JsonRpcErrorCode.ParseError, 400],
  [JsonRpcErrorCode.InvalidRequest, 400],
  [JsonRpcErrorCode.InvalidParams, 400],
  [JsonRpcErrorCode.InternalError, 500],
]);

/**
 * The HTTP status that stands for a conduit or JSON-RPC error code. Other
 * codes — an upstream's own JSON-RPC errors, and -32601 (an MCP client treats
 * HTTP 404 as "session gone") — map to 200: they travel inside a successful
 * HTTP exchange.
 */
export function httpStatusForErrorCode(code: number): number {
  return HTTP_STATUS_BY_CODE.get(code) ?? 200;
}

/** A JSON-RPC error object as it travels on the wire. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

export function wireError(code: number, message: string, data?: unknown): WireError {
  return data === undefined ? { code, message } : { code, message, data };
}
