import { parseRequestBody, type RequestBody } from "@conduit/protocol/body";

export type BodyCheck = { ok: true; value: RequestBody } | { ok: false; message: string };

/**
 * The request body checks shared by POST and the WebSocket body frame: the
 * protocol schema (the message names the bad field), then n ≤ MAX_SWARM.
 */
export function validateRequestBody(json: unknown, maxSwarm: number): BodyCheck {
  const parsed = parseRequestBody(json);
  if (!parsed.ok) return { ok: false, message: parsed.error.message };
  if (parsed.value.n > maxSwarm) {
    return {
      ok: false,
      message: `invalid request body: field n: ${parsed.value.n} agents exceed MAX_SWARM (${maxSwarm})`,
    };
  }
  return { ok: true, value: parsed.value };
}
