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
 * `text/*` SSE. For each of the two types the most specific range naming it
 * decides (RFC 9110 §12.5.1): `text/event-stream;q=0` refuses SSE even next to
 * the any-type wildcard. A range with `q=0` allows nothing. An absent header
 * allows nothing (the Streamable HTTP transport requires clients to send one).
 */
export function acceptMask(accept: string | undefined): number {
  if (accept === undefined) return 0;
  if (accept === SDK_POST_ACCEPT) return ACCEPTS_BOTH;
  // Per type: the specificity of the most specific range seen so far (0 = none), and its verdict.
  let jsonRank = 0;
  let sseRank = 0;
  let mask = 0;
  for (const range of accept.split(",")) {
    const semi = range.indexOf(";");
    const type = (semi === -1 ? range : range.slice(0, semi)).trim().toLowerCase();
    const allowed = semi === -1 || !Q_ZERO.test(range.slice(semi));
    let jsonAt = 0;
    let sseAt = 0;
    if (type === "*/*") jsonAt = sseAt = 1;
    else if (type === "application/*") jsonAt = 2;
    else if (type === "application/json") jsonAt = 3;
    else if (type === "text/*") sseAt = 2;
    else if (type === "text/event-stream") sseAt = 3;
    // At equal specificity, any range that allows the type wins.
    if (jsonAt > jsonRank || (jsonAt > 0 && jsonAt === jsonRank && allowed)) {
      jsonRank = jsonAt;
      mask = allowed ? mask | ACCEPTS_JSON : mask & ~ACCEPTS_JSON;
    }
    if (sseAt > sseRank || (sseAt > 0 && sseAt === sseRank && allowed)) {
      sseRank = sseAt;
      mask = allowed ? mask | ACCEPTS_SSE : mask & ~ACCEPTS_SSE;
    }
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
