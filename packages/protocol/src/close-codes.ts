/** WebSocket close codes Conduit sends or reports (SPEC §4, RFC 6455 §7.4.1). */
export const CloseCode = {
  /** The stream finished. */
  Normal: 1000,
  /** The server is shutting down (or the client is leaving). */
  GoingAway: 1001,
  /** `ws` rejected a malformed frame (sent by `ws` itself). */
  ProtocolError: 1002,
  /** The body frame was binary, not JSON, or failed validation. */
  BadBody: 1003,
  /** No close frame was received (never sent; reported when the connection just ended). */
  Abnormal: 1006,
  /** A text frame was not valid UTF-8 (sent by `ws` itself). */
  InvalidPayload: 1007,
  /** A limit was exceeded (policy). */
  Policy: 1008,
  /** A frame was larger than the configured maximum. */
  TooLarge: 1009,
  /** Failure after the stream started. */
  InternalError: 1011,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Codes of the `error` frame (SPEC §4 server → client 4) the server sends
 * before closing. They follow HTTP status semantics; each pairs with a close code.
 */
export const ErrorFrameCode = {
  /** The body frame was binary, not JSON, or failed validation (close 1003). */
  InvalidBody: 400,
  /** No body frame arrived within the body timeout (close 1008). */
  BodyTimeout: 408,
  /** A limit was exceeded, e.g. too many response ids or too many invalid frames (close 1008). */
  LimitExceeded: 429,
  /** A failure after the stream started (close 1011). */
  Internal: 500,
  /** The server is shutting down and refuses new sockets (close 1001). */
  ShuttingDown: 503,
} as const;

export type ErrorFrameCodeValue = (typeof ErrorFrameCode)[keyof typeof ErrorFrameCode];
