export {
  createConduitHost,
  type AttachOptions,
  type CloseOptions,
  type ConduitHost,
  type HostStats,
  type McpEndpoint,
} from "./host.js";
export {
  DEFAULT_PATH,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TRAFFIC_WINDOW_MS,
  type AuthenticateResult,
  type ConduitHostOptions,
  type McpListenOptions,
  type McpOutcome,
  type McpTrafficEvent,
} from "./options.js";
export type { BodyResult, BodyValidator, ConduitSession, SessionClosed } from "./session.js";
export { MAX_LISTED_AGENTS, type HostSnapshot, type SessionSnapshot } from "./snapshot.js";
export { MAX_TRAFFIC_ROWS, type TrafficCount, type TrafficSnapshot } from "./traffic.js";
export { RegistrationLimitError } from "./wiring.js";
