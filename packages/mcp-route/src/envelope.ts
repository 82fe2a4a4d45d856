import type { JsonRpcMessage } from "@conduit/protocol";
import type { JsonRpcId } from "./json-rpc-reply.js";

/** One POSTed JSON-RPC message, classified once so the handlers below never re-check its shape. */
export type Envelope = RequestEnvelope | NotificationEnvelope | ResponseEnvelope | InvalidEnvelope;

export interface RequestEnvelope {
  readonly kind: "request";
  readonly id: string | number;
  readonly method: string;
  readonly params: unknown;
}

export interface NotificationEnvelope {
  readonly kind: "notification";
  readonly method: string;
  readonly params: unknown;
}

/** The agent's answer to a request the upstream sent it. */
export interface ResponseEnvelope {
  readonly kind: "response";
  readonly id: string | number;
  readonly message: JsonRpcMessage;
}

export interface InvalidEnvelope {
  readonly kind: "invalid";
  readonly id: JsonRpcId;
  readonly reason: string;
}

function invalid(id: JsonRpcId, reason: string): Envelope {
  return { kind: "invalid", id, reason: `invalid request: ${reason}` };
}

/** Classifies a parsed body as a JSON-RPC 2.0 request, notification or response (SPEC §5), or says why not. */
export function parseEnvelope(body: unknown): Envelope {
  if (typeof body !== "object" || body === null) return invalid(null, "a JSON-RPC message must be an object");
  if (Array.isArray(body)) return invalid(null, "JSON-RPC batches are not supported; send one message per POST");
  const m = body as Record<string, unknown>;
  const rawId = m.id;
  const id: JsonRpcId = typeof rawId === "string" || typeof rawId === "number" ? rawId : null;
  if (m.jsonrpc !== "2.0") return invalid(id, '"jsonrpc" must be "2.0"');
  const method = m.method;
  if (method === undefined) {
    if (id !== null && (m.result !== undefined || m.error !== undefined)) {
      return { kind: "response", id, message: m as JsonRpcMessage };
    }
    return invalid(id, '"method" is missing');
  }
  if (typeof method !== "string" || method.length === 0) return invalid(id, '"method" must be a non-empty string');
  const params = m.params;
  if (params !== undefined && (typeof params !== "object" || params === null)) {
    return invalid(id, '"params" must be an object or an array');
  }
  if (rawId === undefined) return { kind: "notification", method, params };
  if (id === null) return invalid(null, '"id" must be a string or a number');
  return { kind: "request", id, method, params };
}
