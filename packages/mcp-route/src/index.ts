export { createMcpRoute, type McpRouteHandler } from "./route.js";
export { createMcpListener, type McpListener, type McpListenerOptions } from "./listener.js";
export { isLoopbackAddress, isLoopbackHost, isLoopbackHostname, isLoopbackOrigin } from "./loopback.js";
export { forwardHeaders } from "./forward-headers.js";
export {
  DEFAULT_FORWARD_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_SSE_KEEPALIVE_MS,
  DEFAULT_MAX_STREAM_BUFFER_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  type ForwardOutcome,
  type ForwardedEvent,
  type McpRouteObserver,
  type McpRouteOptions,
} from "./options.js";
export { CONDUIT_ERRORS, type ConduitErrorInfo } from "./conduit-errors.js";
export { readRouteError, type RouteError } from "./read-route-error.js";
export { BODY_ABORTED, BODY_TOO_LARGE, readRequestBody, type RequestBody } from "./read-body.js";
