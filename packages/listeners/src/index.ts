export { McpListenerRegistry, DEFAULT_MAX_SUBSCRIBERS_PER_ID } from "./registry.js";
export type { McpListenerRegistryOptions } from "./registry.js";
export type { ListChangedSubscription, SubscriptionHandlers } from "./subscription.js";
export { openSseStream, DEFAULT_KEEPALIVE_MS } from "./sse-stream.js";
export type { SseStream, SseStreamOptions } from "./sse-stream.js";
export { formatListChangedEvent, SSE_HEADERS, SSE_KEEPALIVE } from "./sse-format.js";
