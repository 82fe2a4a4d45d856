export { attach, describeOutcome } from "./attach.js";
export { parseUpstreamSpec, splitCommandLine } from "./spec-parser.js";
export { ConduitError, UpstreamRpcError } from "./errors.js";
export type {
  AttachEvent,
  AttachOptions,
  AttachOutcome,
  AttachSession,
  ConnectFailure,
  LogLevel,
  Logger,
  UpstreamSpec,
} from "./types.js";
