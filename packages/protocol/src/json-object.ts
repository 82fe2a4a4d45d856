// Internal to the package: the pieces every decoder shares (not exported from the index).
import type { DecodeErrorKind, DecodeResult } from "./codec.js";
import { errorMessage } from "./error-message.js";

const MAX_MESSAGE_LENGTH = 512;

/** Cuts `text` to at most `max` characters (the last one `…`), never inside a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** A failed DecodeResult, its message cut to a bounded length. For this package's decoders. */
export function fail<T>(kind: DecodeErrorKind, message: string): DecodeResult<T> {
  return { ok: false, error: { kind, message: truncate(message, MAX_MESSAGE_LENGTH) } };
}

/** Parses text that must be a JSON object. For this package's decoders. */
export function parseJsonObject(text: string): DecodeResult<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail("invalid_json", `invalid JSON: ${errorMessage(err)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail("not_an_object", "a frame must be a JSON object");
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}
