import { errorMessage } from "@conduit/protocol";

/** Client-supplied text in a log line is cut to this many UTF-16 units (SPEC §10). */
export const LOG_TEXT_MAX = 128;

/**
 * Bounds client-supplied text (ids, methods, reasons, error messages) for a
 * log line: past `LOG_TEXT_MAX` it is cut, never inside a surrogate pair, and
 * marked with `…(+N)`, N being the units left out.
 */
export function clip(text: string): string {
  if (text.length <= LOG_TEXT_MAX) return text;
  let end = LOG_TEXT_MAX;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…(+${text.length - end})`;
}

/** A request id for a log line: a string id clipped, a number as is. */
export function clipId(id: string | number): string | number {
  return typeof id === "string" ? clip(id) : id;
}

/** An error's message (or the thrown value as text), clipped. */
export function errText(err: unknown): string {
  return clip(errorMessage(err));
}
