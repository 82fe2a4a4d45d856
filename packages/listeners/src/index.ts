export { SseStreamRegistry, type SseStreamRegistryOptions } from "./sse-stream-registry.js";
export type { SseSubscription, SubscriptionHandlers, SubscriptionOptions } from "./subscription.js";
export { DEFAULT_MAX_QUEUED_MESSAGES } from "./subscription.js";
export { openSseStream, type SseStream, type SseStreamOptions } from "./sse-stream.js";
export { formatListChangedEvent, SSE_HEADERS } from "./sse-format.js";
export {
  ReplayStore,
  formatEventId,
  parseEventId,
  type ReplayStoreOptions,
  type EventPosition,
} from "./replay-store.js";
export { socketHooksFor, type SocketStreamHooks } from "./socket-hooks.js";
