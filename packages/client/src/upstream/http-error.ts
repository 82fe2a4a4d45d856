/**
 * Why a Streamable HTTP upstream could not be used, with what a user can act on:
 * the network cause (`connect ECONNREFUSED 127.0.0.1:8931`), the HTTP status and
 * the start of its body, or which bound was hit (and its setting).
 */
export class UpstreamHttpError extends Error {
  /** The HTTP status, when the upstream answered with one. */
  readonly status: number | undefined;
  /** The network error code when there was one (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, …). */
  readonly errorCode: string | undefined;
  /** The bound that was hit (`maxJsonBytes`, `maxSseEventChars`, `headersTimeoutMs`, `connectTimeoutMs`). */
  readonly limit: string | undefined;

  constructor(message: string, details: { status?: number; errorCode?: string; limit?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "UpstreamHttpError";
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.limit = details.limit;
  }
}

/** Longest part of an error answer's body quoted in an error message. */
export const QUOTED_BODY_CHARS = 1024;
