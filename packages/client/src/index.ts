export { attach, describeOutcome } from "./attach.js";
export { parseUpstreamSpec, splitCommandLine } from "./spec-parser.js";
export { ConduitError, UpstreamRpcError } from "./errors.js";
export type { AttachOptions, AttachOutcome, AttachSession, LogLevel, Logger, UpstreamSpec } from "./types.js";
