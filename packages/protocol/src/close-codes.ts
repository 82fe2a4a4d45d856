/** WebSocket close codes Conduit uses (SPEC §4). */
export const CloseCode = {
  /** The stream finished. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The body frame was binary, not JSON, or failed validation. */
  BadBody: 1003,
  /** A limit was exceeded (policy). */
  Policy: 1008,
  /** A frame was larger than the configured maximum. */
  TooLarge: 1009,
  /** Failure after the stream started. */
  InternalError: 1011,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
