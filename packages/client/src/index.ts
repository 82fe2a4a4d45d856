export { attach, describeOutcome } from "./attach.js";
export { parseUpstreamSpec, splitCommandLine } from "./spec-parser.js";
export { ConduitClientError, UpstreamRpcError } from "./errors.js";
export type { AttachOptions, AttachOutcome, AttachSession, LogLevel, Logger, UpstreamSpec } from "./types.js";
