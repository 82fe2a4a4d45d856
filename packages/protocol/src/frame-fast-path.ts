import { isMcpKind } from "./mcp-kind.js";

/**
 * Hand checks for the two frames every forwarded MCP call carries, in front of
 * their zod schemas: `server_request` (read by the attach client) and the
 * plain `server_response` with a `result` (read by the server). Each accepts
 * only frames its schema accepts too, and the decoder then keeps the parsed
 * object as it is; anything else goes to the schema, which decides and names
 * the fault. A profile of the attach client under load put a quarter of its
 * allocations per call in zod's copy of the server_request.
 */
export type FastCheck = (frame: Readonly<Record<string, unknown>>) => boolean;

const SERVER_REQUEST_KEYS: ReadonlySet<string> = new Set(["type", "id", "mcp", "method", "params", "headers"]);

/** RequestIdSchema: a string of 1 to 256 characters, or a safe integer. */
function isRequestId(id: unknown): boolean {
  return typeof id === "string" ? id.length >= 1 && id.length <= 256 : Number.isSafeInteger(id);
}

/** A JSON object whose own values are all strings; `__proto__` is left to the schema. */
function isStringRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    if (key === "__proto__" || typeof (value as Record<string, unknown>)[key] !== "string") return false;
  }
  return true;
}

export const isPlainServerRequest: FastCheck = (frame) => {
  for (const key in frame) if (!SERVER_REQUEST_KEYS.has(key)) return false;
  const { method } = frame;
  return (
    isRequestId(frame.id) &&
    isMcpKind(frame.mcp) &&
    typeof method === "string" &&
    method.length > 0 &&
    isStringRecord(frame.headers)
  );
};

export const isPlainServerResponse: FastCheck = (frame) => {
  let keys = 0;
  for (const key in frame) {
    if (key !== "type" && key !== "id" && key !== "result") return false;
    keys += 1;
  }
  return keys === 3 && isRequestId(frame.id);
};
