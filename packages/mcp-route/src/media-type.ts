/** Bit set of what an Accept header allows. */
export const ACCEPTS_JSON = 1;
export const ACCEPTS_SSE = 2;
export const ACCEPTS_BOTH = ACCEPTS_JSON | ACCEPTS_SSE;

// What the official MCP SDK client sends on every POST.
const SDK_POST_ACCEPT = "application/json, text/event-stream";
const Q_ZERO = /(?:^|;)\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:;|$)/i;

/**
 * Which of application/json and text/event-stream an Accept header allows.
 * Wildcards count: the any-type wildcard allows both, `application/*` JSON,
 * `text/*` SSE; a range with `q=0` allows nothing. An absent header allows nothing (the
 * Streamable HTTP transport requires clients to send one).
 */
export function acceptMask(accept: string | undefined): number {
  if (accept === undefined) return 0;
  if (accept === SDK_POST_ACCEPT) return ACCEPTS_BOTH;
  let mask = 0;
  for (const range of accept.split(",")) {
    const semi = range.indexOf(";");
    const type = (semi === -1 ? range : range.slice(0, semi)).trim().toLowerCase();
    if (semi !== -1 && Q_ZERO.test(range.slice(semi))) continue;
    if (type === "*/*") mask |= ACCEPTS_BOTH;
    else if (type === "application/json" || type === "application/*") mask |= ACCEPTS_JSON;
    else if (type === "text/event-stream" || type === "text/*") mask |= ACCEPTS_SSE;
  }
  return mask;
}

/** `application/json`, with or without parameters such as `charset`. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === "application/json") return true;
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === "application/json";
}
