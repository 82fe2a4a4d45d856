import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type Authenticator = (req: IncomingMessage) => boolean;

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Bearer-key check. Keys are compared as SHA-256 digests (equal length) with
 * timingSafeEqual, and every key is compared, so the time taken says nothing
 * about which key or how much of it matched. No keys → every request passes.
 */
export function createAuthenticator(keys: readonly string[]): Authenticator {
  if (keys.length === 0) return () => true;
  const digests = keys.map(digest);
  return (req) => {
    const token = bearerToken(req);
    const presented = digest(token ?? "");
    let ok = false;
    for (const expected of digests) {
      if (timingSafeEqual(presented, expected)) ok = true;
    }
    return ok && token !== undefined;
  };
}
