import { describeIssues, type DecodeResult } from "../codec.js";
import { fail, parseJsonObject } from "../json-object.js";
import { RequestBodySchema, type RequestBody } from "./schema.js";

/** Parses an already-decoded JSON value as a request body. Never throws. */
export function parseRequestBody(value: unknown): DecodeResult<RequestBody> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("not_an_object", "the request body must be a JSON object");
  }
  const checked = RequestBodySchema.safeParse(value);
  if (!checked.success) return fail("invalid_frame", `invalid request body: ${describeIssues(checked.error)}`);
  return { ok: true, value: checked.data };
}

/** Decodes the body frame (the first text frame of a stream). Never throws. */
export function decodeBody(text: string): DecodeResult<RequestBody> {
  const object = parseJsonObject(text);
  if (!object.ok)
    return {
      ok: false,
      error: { ...object.error, message: object.error.message.replace("a frame", "the request body") },
    };
  return parseRequestBody(object.value);
}
