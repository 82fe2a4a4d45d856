import { ConduitErrorCode, type WireError } from "@conduit/protocol";

/** An error that carries a JSON-RPC or conduit error code (and optional data). */
export class ConduitClientError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "ConduitClientError";
    this.code = code;
    this.data = data;
  }

  toWire(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** The upstream answered with its own JSON-RPC error; it travels on unchanged. */
export class UpstreamRpcError extends ConduitClientError {
  constructor(code: number, message: string, data?: unknown) {
    super(code, message, data);
    this.name = "UpstreamRpcError";
  }
}

/** The upstream could not answer: transport failure, exit, timeout (`-32004`). */
export function upstreamFailed(message: string): ConduitClientError {
  return new ConduitClientError(ConduitErrorCode.UpstreamFailed, message);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
