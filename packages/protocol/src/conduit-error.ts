import { httpStatusForErrorCode, wireError, type WireError } from "./error-codes.js";

/**
 * A failure of the conduit itself (not an upstream MCP server's own answer),
 * with its JSON-RPC or SPEC §5 code: raised by the server side (registry,
 * mcp-route) and by the attach client alike.
 */
export class ConduitError extends Error {
  override name = "ConduitError";
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }

  /** The HTTP status SPEC §5 gives this code (e.g. -32003 → 504; codes outside the table → 200). */
  get httpStatus(): number {
    return httpStatusForErrorCode(this.code);
  }

  toWire(): WireError {
    return wireError(this.code, this.message, this.data);
  }
}
