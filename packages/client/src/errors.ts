import { ConduitError, ConduitErrorCode } from "@conduit/protocol";

/** Conduit failures are the protocol's one ConduitError; re-exported so the client's modules import errors from one place. */
export { ConduitError, errorMessage } from "@conduit/protocol";

/** The upstream answered with its own JSON-RPC error; it travels on unchanged. */
export class UpstreamRpcError extends ConduitError {
  constructor(code: number, message: string, data?: unknown) {
    super(code, message, data);
    this.name = "UpstreamRpcError";
  }
}

/** The upstream could not answer: transport failure, exit, timeout (`-32004`). */
export function upstreamFailed(message: string): ConduitError {
  return new ConduitError(ConduitErrorCode.UpstreamFailed, message);
}
