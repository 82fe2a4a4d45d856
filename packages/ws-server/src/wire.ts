import type { ClientResponseFrame, ErrorFrame, RequestId, WireError } from "@conduit/protocol";

/** A WebSocket close reason may hold at most 123 bytes of UTF-8 (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

/** Cuts `reason` to what a close frame can carry, never inside a character. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let bytes = 0;
  let out = "";
  for (const char of reason) {
    bytes += Buffer.byteLength(char);
    if (bytes > MAX_CLOSE_REASON_BYTES) break;
    out += char;
  }
  return out;
}

export function errorFrame(error: { code: number; message: string }): ErrorFrame {
  return { type: "error", error: { code: error.code, message: error.message } };
}

export function clientResponseFrame(id: RequestId, error?: WireError): ClientResponseFrame {
  return error === undefined
    ? { type: "client_response", id, ok: true }
    : { type: "client_response", id, ok: false, error: { code: error.code, message: error.message } };
}
