export { RegistrationLimitError } from "./registration-limit-error.js";
export {
  PendingRequests,
  DEFAULT_MAX_PENDING,
  DEFAULT_TIMEOUT_MS,
  type PendingRequestOptions,
  type PendingRequestsOptions,
} from "./pending-requests.js";
export {
  ReverseChannel,
  type Exchange,
  type FrameWriter,
  type ReverseChannelOptions,
  type ServerRequestInit,
} from "./reverse-channel.js";
export { ReverseChannelRegistry, sendServerRequest } from "./reverse-channel-registry.js";
export {
  ReverseAttachGuard,
  DEFAULT_MAX_IDS_PER_SOCKET,
  type ReverseAttachHandle,
  type ReverseAttachGuardOptions,
} from "./attach-guard.js";
export { SessionTracker } from "./session-tracker.js";
export { RelayedRequests, type RelayedRequest } from "./relayed-requests.js";
