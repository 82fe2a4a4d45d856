export { AttachedSockets } from "./attached-sockets.js";
export type { AttachedSocket, SocketClosed } from "./attached-socket.js";
export type { AttachedSocketsOptions } from "./options.js";
export type { BodyResult, BodyValidator } from "./body-frame.js";
export type { ElicitationResponseHandler, NotifyHandler } from "./receive-loop.js";
export type { StreamHooks } from "./stream-hooks.js";
export { createUpgradeHandler, type AuthenticateResult, type UpgradeHandler, type UpgradeOptions } from "./upgrade.js";
