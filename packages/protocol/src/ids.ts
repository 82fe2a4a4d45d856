import { randomBytes } from "node:crypto";

/**
 * A new response id: 128 random bits, base64url. It is a capability (whoever
 * holds it reaches that socket's MCP servers), so it must never be guessable.
 */
export function mintResponseId(): string {
  return `resp_${randomBytes(16).toString("base64url")}`;
}

/** A response id cut short for logs: enough to correlate, too little to use. */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 12)}…`;
}
