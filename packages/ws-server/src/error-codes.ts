/**
 * Codes of the `error` frame (SPEC §4 server → client 4) Conduit sends before
 * closing. They follow HTTP status semantics; each pairs with a close code.
 */
export const ErrorFrameCode = {
  /** The body frame was binary, not JSON, or failed validation (close 1003). */
  InvalidBody: 400,
  /** No body frame arrived within `bodyTimeoutMs` (close 1008). */
  BodyTimeout: 408,
  /** A frame exceeded `maxPayload`; `ws` closes with 1009 itself, no error frame is sent. */
  TooLarge: 413,
  /** A limit was exceeded, e.g. RegistrationLimitError or too many invalid frames (close 1008). */
  LimitExceeded: 429,
  /** A failure after the stream started (close 1011). */
  Internal: 500,
  /** The server is shutting down and refuses new sockets (close 1001). */
  ShuttingDown: 503,
} as const;

export type ErrorFrameCodeValue = (typeof ErrorFrameCode)[keyof typeof ErrorFrameCode];
