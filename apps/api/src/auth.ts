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

/** The verdict on a request for an admin route: allowed, or the status and message to refuse it with. */
export type AdminVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

export type AdminAuthorizer = (req: IncomingMessage) => AdminVerdict;

const LOOPBACK_PEERS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  return LOOPBACK_PEERS.has(address) || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * Who may read the admin routes: a key of ADMIN_API_KEYS when set; else a
 * key of API_KEYS; with neither set, only a loopback peer (the admin listing
 * names every attached user's address, so an open server does not show it
 * to the world). A valid API key that is not an admin key gets 403.
 */
export function createAdminAuthorizer(keys: {
  adminKeys: readonly string[];
  apiKeys: readonly string[];
}): AdminAuthorizer {
  if (keys.adminKeys.length === 0 && keys.apiKeys.length === 0) {
    return (req) =>
      isLoopbackPeer(req.socket.remoteAddress)
        ? { ok: true }
        : {
            ok: false,
            status: 403,
            message: "admin routes answer loopback peers only while neither ADMIN_API_KEYS nor API_KEYS is set",
          };
  }
  const admin = createAuthenticator(keys.adminKeys.length > 0 ? keys.adminKeys : keys.apiKeys);
  const api = keys.adminKeys.length > 0 && keys.apiKeys.length > 0 ? createAuthenticator(keys.apiKeys) : undefined;
  return (req) => {
    if (admin(req)) return { ok: true };
    if (api?.(req)) return { ok: false, status: 403, message: "this key is not an admin key (ADMIN_API_KEYS)" };
    return { ok: false, status: 401, message: "missing or invalid admin bearer key" };
  };
}
