import type { z } from "zod";
import type { ProtocolVersion } from "./constants.js";
import { errorMessage } from "./error-message.js";
import { fail, parseJsonObject, truncate } from "./json-object.js";
import {
  AgentMessageFrameSchema,
  CancelFrameSchema,
  UpstreamMessageFrameSchema,
  ChunkFrameSchema,
  ClientRequestFrameSchema,
  ClientResponseFrameSchema,
  ErrorFrameSchema,
  ServerRequestFrameSchema,
  ServerResponseFrameSchema,
  type ClientFrame,
  type Frame,
  type ServerFrame,
} from "./schemas/frames.js";
import { isPlainServerRequest, isPlainServerResponse, type FastCheck } from "./frame-fast-path.js";

export type DecodeErrorKind = "invalid_json" | "not_an_object" | "unknown_type" | "invalid_frame";

export interface DecodeError {
  kind: DecodeErrorKind;
  /** Human-readable; names the offending field where there is one. */
  message: string;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: DecodeError };
export type EncodeResult = { ok: true; text: string } | { ok: false; error: string };

type FrameType = Frame["type"];

const CLIENT_FRAME_SCHEMAS_V1: Partial<Record<FrameType, z.ZodType>> = {
  server_response: ServerResponseFrameSchema,
  client_request: ClientRequestFrameSchema,
};
const CLIENT_FRAME_SCHEMAS: Partial<Record<FrameType, z.ZodType>> = {
  ...CLIENT_FRAME_SCHEMAS_V1,
  upstream_message: UpstreamMessageFrameSchema,
};

const SERVER_FRAME_SCHEMAS_V1: Partial<Record<FrameType, z.ZodType>> = {
  chunk: ChunkFrameSchema,
  server_request: ServerRequestFrameSchema,
  client_response: ClientResponseFrameSchema,
  error: ErrorFrameSchema,
};
const SERVER_FRAME_SCHEMAS: Partial<Record<FrameType, z.ZodType>> = {
  ...SERVER_FRAME_SCHEMAS_V1,
  agent_message: AgentMessageFrameSchema,
  cancel: CancelFrameSchema,
};

const ALL_FRAME_SCHEMAS = { ...CLIENT_FRAME_SCHEMAS, ...SERVER_FRAME_SCHEMAS };

// Messages quote client text (unknown keys, record keys): cut them so a huge frame cannot make a huge
// error frame or log line. Per issue, so every issue still shows, and overall.
const MAX_ISSUE_LENGTH = 200;

type Issue = z.core.$ZodIssue;

/**
 * A union's own issue only says "Invalid input"; the branch that came
 * closest (fewest issues) says what is really wrong, so report that one.
 */
function expandIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      if (closest.length > 0) return expandIssues(closest, path);
    }
    return [{ ...issue, path }];
  });
}

/** Formats a zod error as `field a.b: reason; …`, naming each bad field. */
export function describeIssues(error: z.ZodError, limit = 3): string {
  const issues = expandIssues(error.issues);
  const parts = issues.slice(0, limit).map((issue) => {
    const path = issue.path.map(String).join(".");
    return truncate(path ? `field ${path}: ${issue.message}` : issue.message, MAX_ISSUE_LENGTH);
  });
  const more = issues.length - limit;
  return more > 0 ? `${parts.join("; ")} (+${more} more)` : parts.join("; ");
}

/** Names a frame's `type` for an error message without serialising it (it may be nested arbitrarily deep). */
function describeType(type: unknown): string {
  if (typeof type === "string") return JSON.stringify(type.slice(0, 64));
  if (type === null) return "null";
  return Array.isArray(type) ? "(an array)" : `(a ${typeof type})`;
}

/** The hot frame types' hand checks (frame-fast-path.ts); the schema still decides whatever they do not accept. */
const FAST_CHECKS: Partial<Record<FrameType, FastCheck>> = {
  server_request: isPlainServerRequest,
  server_response: isPlainServerResponse,
};

function decodeWith<T>(text: string, schemas: Partial<Record<FrameType, z.ZodType>>): DecodeResult<T> {
  const object = parseJsonObject(text);
  if (!object.ok) return object;
  const type = object.value.type;
  // Own keys only: `"constructor"` or `"__proto__"` must not reach Object.prototype.
  const schema = typeof type === "string" && Object.hasOwn(schemas, type) ? schemas[type as FrameType] : undefined;
  if (!schema) {
    return fail("unknown_type", `unknown frame type ${describeType(type)}`);
  }
  if (FAST_CHECKS[type as FrameType]?.(object.value) === true) return { ok: true, value: object.value as T };
  const checked = schema.safeParse(object.value);
  if (!checked.success) return fail("invalid_frame", `invalid ${type} frame: ${describeIssues(checked.error)}`);
  return { ok: true, value: checked.data as T };
}

/**
 * Decodes a frame the attach client sent after its body frame. Never throws.
 * On a v1 socket the v2 frame types are unknown types.
 */
export function decodeClientFrame(text: string, version: ProtocolVersion = 2): DecodeResult<ClientFrame> {
  return decodeWith(text, version === 2 ? CLIENT_FRAME_SCHEMAS : CLIENT_FRAME_SCHEMAS_V1);
}

/** Decodes a frame the server sent. Never throws. On a v1 socket the v2 frame types are unknown types. */
export function decodeServerFrame(text: string, version: ProtocolVersion = 2): DecodeResult<ServerFrame> {
  return decodeWith(text, version === 2 ? SERVER_FRAME_SCHEMAS : SERVER_FRAME_SCHEMAS_V1);
}

/** Decodes a frame of either direction. Never throws. */
export function decodeFrame(text: string): DecodeResult<Frame> {
  return decodeWith(text, ALL_FRAME_SCHEMAS);
}

/** Encodes a frame as its JSON text. Never throws (cycles and BigInts are reported). */
export function encodeFrame(frame: Frame): EncodeResult {
  try {
    return { ok: true, text: JSON.stringify(frame) };
  } catch (err) {
    return { ok: false, error: `${frame.type} frame cannot be encoded: ${errorMessage(err)}` };
  }
}

/**
 * A frame that cannot be encoded as JSON (a cycle, a BigInt in its params…):
 * the sender's bug, not a closed socket.
 */
export class FrameEncodeError extends TypeError {
  override readonly name = "FrameEncodeError";
}

/** Encodes a frame as its JSON text; throws FrameEncodeError when it cannot be encoded. */
export function frameText(frame: Frame): string {
  const encoded = encodeFrame(frame);
  if (!encoded.ok) throw new FrameEncodeError(encoded.error);
  return encoded.text;
}
