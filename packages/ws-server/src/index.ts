export { AttachedSockets } from "./attached-sockets.js";
export type { AttachedSocket, SocketClosed } from "./attached-socket.js";
export type { AttachedSocketsOptions } from "./options.js";
export { DEFAULTS as ATTACHED_SOCKETS_DEFAULTS } from "./options.js";
export type { BodyResult, BodyValidator } from "./body-frame.js";
export type { ElicitationResponseHandler, NotifyHandler } from "./receive-loop.js";
export type { StreamHooks } from "./stream-hooks.js";
export {
  createUpgradeHandler,
  DEFAULT_MAX_PAYLOAD,
  type AuthenticateResult,
  type UpgradeHandler,
  type UpgradeOptions,
} from "./upgrade.js";
