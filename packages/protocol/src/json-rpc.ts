import type { JsonRpcMessage } from "./schemas/frames.js";

export type JsonRpcId = string | number;

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || typeof value === "number";
}

/** The id of a JSON-RPC request (a message with a method and an id), else undefined. */
export function jsonRpcRequestId(message: JsonRpcMessage): JsonRpcId | undefined {
  return typeof message.method === "string" && isId(message.id) ? message.id : undefined;
}

/** A JSON-RPC response: an id and a result or an error, no method. */
export function isJsonRpcResponse(message: JsonRpcMessage): message is JsonRpcMessage & { id: JsonRpcId } {
  return message.method === undefined && isId(message.id) && ("result" in message || "error" in message);
}
