import { ConduitErrorCode, httpStatusForErrorCode, type ConduitErrorCodeValue } from "@conduit/protocol";
import type { ForwardOutcome } from "./options.js";

/** What one of conduit's own JSON-RPC error codes means to the agent that got it. */
export interface ConduitErrorInfo {
  readonly code: ConduitErrorCodeValue;
  /** The name `observer.forwarded` reports for a message that ended with this code. */
  readonly outcome: Exclude<ForwardOutcome, "ok" | "internal">;
  /** The HTTP status the route answers with when the code is the whole answer. */
  readonly httpStatus: number;
  readonly meaning: string;
}

function info(code: ConduitErrorCodeValue, outcome: ConduitErrorInfo["outcome"], meaning: string): ConduitErrorInfo {
  return Object.freeze({ code, outcome, httpStatus: httpStatusForErrorCode(code), meaning });
}

/** Conduit's own error codes (SPEC §5) as the route and the attach client answer them, by code. */
export const CONDUIT_ERRORS: ReadonlyMap<number, ConduitErrorInfo> = new Map(
  [
    info(
      ConduitErrorCode.NoReverseChannel,
      "no_channel",
      "no reverse channel for this response id (unknown or released), an mcp the request did not declare, or an Mcp-Session-Id the attach client no longer knows",
    ),
    info(
      ConduitErrorCode.ChannelClosed,
      "channel_closed",
      "the reverse channel closed, or the agent's HTTP request went away, before the answer came back",
    ),
    info(ConduitErrorCode.Timeout, "timeout", "the attach client did not answer within the route's timeout"),
    info(
      ConduitErrorCode.UpstreamFailed,
      "upstream_error",
      "the upstream MCP server failed, or its answer was malformed",
    ),
    info(
      ConduitErrorCode.TooManyPending,
      "too_many",
      "too many requests in flight on the reverse channel, or too many SSE streams for the response id",
    ),
    info(ConduitErrorCode.Cancelled, "cancelled", "the request was cancelled"),
  ].map((entry) => [entry.code, entry] as const),
);

/** How `observer.forwarded` names a forwarded message that ended with JSON-RPC error `code`. */
export function outcomeOfCode(code: number): ForwardOutcome {
  return CONDUIT_ERRORS.get(code)?.outcome ?? "internal";
}
