import { httpStatusForErrorCode, wireError, type WireError } from "@conduit/protocol";

/** A failure of the conduit itself (not of an upstream MCP server), with its SPEC §5 code. */
export class ConduitError extends Error {
  override readonly name = "ConduitError";

  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  /** The HTTP status SPEC §5 gives this code (e.g. -32003 → 504). */
  get httpStatus(): number {
    return httpStatusForErrorCode(this.code);
  }

  toWire(): WireError {
    return wireError(this.code, this.message, this.data);
  }
}

/** Thrown when a guard would register more response ids than its limit allows. */
export class RegistrationLimitError extends Error {
  override readonly name = "RegistrationLimitError";

  constructor(readonly limit: number) {
    super(`too many response ids registered on one socket (limit ${limit})`);
  }
}
