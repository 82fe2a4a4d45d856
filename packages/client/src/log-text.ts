/**
 * The most characters of one piece of text from the server or an upstream (a method, an mcp,
 * an error message, a reason, an id) that go into a log line; a longer one is cut and marked.
 */
export const MAX_LOGGED_TEXT = 256;

const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/**
 * `text` made safe for one log line: control and line-separator characters escaped as `\uXXXX`
 * (so it cannot start a line of its own), then cut at MAX_LOGGED_TEXT characters with
 * `… (cut from N characters)` appended. At most MAX_LOGGED_TEXT + 40 characters long.
 */
export function forLog(text: string): string {
  const escaped = escapeControls(text);
  if (escaped.length <= MAX_LOGGED_TEXT) return escaped;
  let head = escaped.slice(0, MAX_LOGGED_TEXT);
  // Never end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}… (cut from ${text.length} characters)`;
}

/** `text` with control and line-separator characters escaped as `\\uXXXX`, so that it cannot start a line of its own. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Origin and path only: a query string may carry a token. */
export function urlForLogs(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
