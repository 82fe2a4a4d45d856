export { McpListenerRegistry, DEFAULT_MAX_SUBSCRIBERS_PER_ID } from "./registry.js";
export type { McpListenerRegistryOptions } from "./registry.js";
export type { ListChangedSubscription, SubscriptionHandlers, SubscriptionOptions } from "./subscription.js";
export { DEFAULT_MAX_QUEUED_MESSAGES, DEFAULT_MAX_QUEUED_CHARS } from "./subscription.js";
export { openSseStream, DEFAULT_KEEPALIVE_MS } from "./sse-stream.js";
export type { SseStream, SseStreamOptions } from "./sse-stream.js";
export { formatListChangedEvent, formatMessageEvent, SSE_HEADERS, SSE_KEEPALIVE } from "./sse-format.js";
