import { JsonRpcMessageSchema, type JsonRpcId, type JsonRpcMessage } from "@conduit/protocol";

/**
 * What the JSON-RPC peer needs from a connection to an upstream MCP server
 * (a child's stdio, or Streamable HTTP): messages in order, one at a time.
 */
export interface UpstreamTransport {
  /** Each JSON-RPC message the upstream sends, in the order it sent them. */
  onmessage?: (message: JsonRpcMessage) => void;
  /** Something went wrong that does not end the connection (a bad line, a failed side stream). */
  onerror?: (error: Error) => void;
  /** Request `id` can no longer be answered (its HTTP answer stream broke or hit a bound). */
  onfailure?: (id: JsonRpcId, error: Error) => void;
  /** Once, when the connection has ended; `reason` says why when it was not our close(). */
  onclose?: (reason?: string) => void;
  start(): Promise<void>;
  /**
   * Resolves once the upstream took the message (an HTTP upstream: its answer's
   * head arrived, and a JSON answer was delivered). `headers` are that one
   * request's own HTTP headers (a Streamable HTTP upstream only).
   */
  send(message: JsonRpcMessage, headers?: Record<string, string>): Promise<void>;
  /** Request `id` was cancelled or timed out: stop carrying its answer (HTTP: abort its POST). */
  abort?(id: JsonRpcId): void;
  /** What the transport saw that may explain a request left unanswered (a stdio child printing non-JSON-RPC). */
  diagnosis?(): string | undefined;
  /** Ends the connection; resolves once it has ended (a child has exited). Idempotent. */
  close(): Promise<void>;
}

/** Parses one message's text; undefined (and `onerror`) when it is not a JSON-RPC 2.0 object. */
export function parseJsonRpc(text: string, onerror: ((error: Error) => void) | undefined): JsonRpcMessage[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    onerror?.(new Error(`not JSON: ${(error as Error).message}`));
    return [];
  }
  // A JSON answer may be a batch.
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const messages: JsonRpcMessage[] = [];
  for (const item of items) {
    const parsed = JsonRpcMessageSchema.safeParse(item);
    if (parsed.success) messages.push(item as JsonRpcMessage);
    else onerror?.(new Error("not a JSON-RPC 2.0 message"));
  }
  return messages;
}
