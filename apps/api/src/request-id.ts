import { randomBytes } from "node:crypto";

const HEADER = "x-request-id";
const ACCEPTABLE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The id that ties a request's log lines together: the caller's own
 * X-Request-Id when it is a plain token, else a fresh one. It is echoed in
 * the response's X-Request-Id header.
 */
export function requestIdOf(headers: Record<string, string | string[] | undefined>): string {
  const given = headers[HEADER];
  if (typeof given === "string" && ACCEPTABLE.test(given)) return given;
  return randomBytes(6).toString("base64url");
}

export const REQUEST_ID_HEADER = HEADER;
