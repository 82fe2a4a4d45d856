export { SseStreamRegistry, DEFAULT_MAX_SUBSCRIBERS_PER_ID } from "./sse-stream-registry.js";
export type { SseStreamRegistryOptions } from "./sse-stream-registry.js";
export type { SseSubscription, SubscriptionHandlers, SubscriptionOptions } from "./subscription.js";
export { DEFAULT_MAX_QUEUED_MESSAGES, DEFAULT_MAX_QUEUED_CHARS } from "./subscription.js";
export { openSseStream, DEFAULT_KEEPALIVE_MS } from "./sse-stream.js";
export type { SseStream, SseStreamOptions } from "./sse-stream.js";
export { formatListChangedEvent, formatMessageEvent, SSE_HEADERS, SSE_KEEPALIVE } from "./sse-format.js";
export {
  ReplayStore,
  formatEventId,
  parseEventId,
  DEFAULT_MAX_EVENTS_PER_STREAM,
  DEFAULT_MAX_REPLAY_CHARS_PER_ID,
  DEFAULT_MAX_STREAMS_PER_ID,
  type ReplayStoreOptions,
  type EventPosition,
} from "./replay-store.js";
export { socketHooksFor, type SocketStreamHooks } from "./socket-hooks.js";
