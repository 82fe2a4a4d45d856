/**
 * What the tunnel needs to know of the sessionless MCP revision (2026-07-28):
 * no initialize and no Mcp-Session-Id; every request declares its revision in
 * `_meta`; `subscriptions/listen` is a request whose answer is a long-lived
 * stream of notifications, each stamped with the listen request's id.
 */

/** The first sessionless MCP revision. */
export const MCP_SESSIONLESS_REVISION = "2026-07-28";

/** `_meta` key of the revision a 2026-07-28 request or notification declares. */
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";

/** `_meta` key that relates a notification (or the final result) to its `subscriptions/listen` request: that request's id. */
export const SUBSCRIPTION_ID_META_KEY = "io.modelcontextprotocol/subscriptionId";

export const SUBSCRIPTIONS_LISTEN = "subscriptions/listen";

/** Methods whose answer is a stream that stays open until a side ends it: they get their own time bound, not the silence timeout. */
export const LONG_LIVED_METHODS: ReadonlySet<string> = new Set([SUBSCRIPTIONS_LISTEN]);

export function isLongLivedMethod(method: string): boolean {
  return LONG_LIVED_METHODS.has(method);
}

const DATED_REVISION = /^\d{4}-\d{2}-\d{2}$/;

/** True for `2026-07-28` and every later dated revision (dates compare as strings). */
export function isSessionlessRevision(version: unknown): boolean {
  return typeof version === "string" && DATED_REVISION.test(version) && version >= MCP_SESSIONLESS_REVISION;
}

/** `params._meta[PROTOCOL_VERSION_META_KEY]` when it is a string. */
export function declaredRevision(params: unknown): string | undefined {
  const meta = metaOf(params);
  const version = meta?.[PROTOCOL_VERSION_META_KEY];
  return typeof version === "string" ? version : undefined;
}

/**
 * A request or notification declares the sessionless revision when its
 * `MCP-Protocol-Version` header or its `_meta` protocol version names
 * 2026-07-28 or later.
 */
export function declaresSessionlessRevision(protocolVersionHeader: string | undefined, params: unknown): boolean {
  return isSessionlessRevision(protocolVersionHeader) || isSessionlessRevision(declaredRevision(params));
}

/** `object._meta` when it is an object (params of a message, or a result). */
export function metaOf(object: unknown): Record<string, unknown> | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const meta = (object as { _meta?: unknown })._meta;
  return typeof meta === "object" && meta !== null && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

/** The subscription id `object._meta` carries, when it is a JSON-RPC id (string or number). */
export function subscriptionIdOf(object: unknown): string | number | undefined {
  const id = metaOf(object)?.[SUBSCRIPTION_ID_META_KEY];
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

/** A copy of `object` whose `_meta` subscription id is `id` (only when it carried one); `object` itself otherwise. */
export function withSubscriptionId<T>(object: T, id: string | number): T {
  const meta = metaOf(object);
  if (meta === undefined || !(SUBSCRIPTION_ID_META_KEY in meta)) return object;
  return { ...object, _meta: { ...meta, [SUBSCRIPTION_ID_META_KEY]: id } };
}
