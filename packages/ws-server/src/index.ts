export { Conduit } from "./conduit.js";
export type { AttachedSocket, SocketClosed } from "./attached-socket.js";
export type { ConduitOptions } from "./options.js";
export { DEFAULTS as CONDUIT_DEFAULTS } from "./options.js";
export type { BodyResult, BodyValidator } from "./body-frame.js";
export type { ElicitationResponseHandler, NotifyHandler } from "./receive-loop.js";
export {
  createUpgradeHandler,
  DEFAULT_MAX_PAYLOAD,
  type AuthenticateResult,
  type UpgradeHandler,
  type UpgradeOptions,
} from "./upgrade.js";
export { silentLogger, type ConduitLogger } from "./logger.js";
