import type { IncomingMessage } from "node:http";
import type { ConnectFailure } from "./types.js";

/** The most bytes of a refusal's body that are read; the rest is never buffered. */
export const MAX_REFUSAL_BODY = 4096;

/**
 * Reads the body of an HTTP answer to the upgrade (a 401, 404…), at most
 * MAX_REFUSAL_BODY bytes, and turns it into a ConnectFailure. The message is
 * the JSON `error.message` (or `message`, or a string `error`) the API sends,
 * else the body text. Resolves when the body ended, hit the limit or failed;
 * the caller bounds the wait (the connect timeout keeps running).
 */
export function readRefusal(response: IncomingMessage): Promise<Extract<ConnectFailure, { kind: "http" }>> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      response.removeAllListeners("data");
      const text = Buffer.concat(parts).toString("utf8").slice(0, MAX_REFUSAL_BODY);
      resolve({
        kind: "http",
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? "",
        message: messageOf(text),
      });
    };
    response.on("data", (part: Buffer) => {
      parts.push(part);
      size += part.length;
      if (size >= MAX_REFUSAL_BODY) done();
    });
    response.once("end", done);
    response.once("error", done);
    response.once("close", done);
  });
}

function messageOf(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    const record = isRecord(value) ? value : {};
    const error = record.error;
    if (isRecord(error) && typeof error.message === "string") return error.message;
    if (typeof error === "string") return error;
    if (typeof record.message === "string") return record.message;
  } catch {
    // not JSON: the text itself
  }
  return text.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
