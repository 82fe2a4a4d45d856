import { z } from "zod";
import { ChunkSchema } from "./schemas/chunk.js";
import { RequestBodySchema } from "./body/schema.js";
import {
  AgentMessageFrameSchema,
  CancelFrameSchema,
  UpstreamMessageFrameSchema,
  ChunkFrameSchema,
  ClientRequestFrameSchema,
  ClientResponseFrameSchema,
  ElicitationResponseFrameSchema,
  ErrorFrameSchema,
  ServerRequestFrameSchema,
  ServerResponseFrameSchema,
} from "./schemas/frames.js";

const SCHEMAS = {
  body: RequestBodySchema,
  chunk: ChunkSchema,
  server_response: ServerResponseFrameSchema,
  client_request: ClientRequestFrameSchema,
  elicitation_response: ElicitationResponseFrameSchema,
  chunk_frame: ChunkFrameSchema,
  server_request: ServerRequestFrameSchema,
  client_response: ClientResponseFrameSchema,
  error: ErrorFrameSchema,
  upstream_message: UpstreamMessageFrameSchema,
  agent_message: AgentMessageFrameSchema,
  cancel: CancelFrameSchema,
} as const;

export type JsonSchemaName = keyof typeof SCHEMAS;
export type JsonSchemaDocument = Record<string, unknown>;

/**
 * JSON Schemas (draft 2020-12) for every frame and the request body, so that
 * clients in other languages can validate what they send and receive.
 * `io: "input"` describes what a sender may write (defaults may be omitted).
 */
export function frameJsonSchemas(): Record<JsonSchemaName, JsonSchemaDocument> {
  const out = {} as Record<JsonSchemaName, JsonSchemaDocument>;
  for (const [name, schema] of Object.entries(SCHEMAS) as [JsonSchemaName, z.ZodType][]) {
    out[name] = withObjectType(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaDocument);
  }
  return out;
}

/**
 * zod renders a union of objects as a bare `anyOf`/`oneOf`; every frame is a
 * JSON object, so say so at the top level too (valid 2020-12, and what code
 * generators look at first).
 */
function withObjectType(document: JsonSchemaDocument): JsonSchemaDocument {
  if (document.type !== undefined) return document;
  const branches = document.anyOf ?? document.oneOf;
  if (!Array.isArray(branches) || branches.length === 0) return document;
  const allObjects = branches.every(
    (branch: unknown) =>
      typeof branch === "object" && branch !== null && (branch as JsonSchemaDocument).type === "object",
  );
  if (!allObjects) return document;
  const { $schema, ...rest } = document;
  return { $schema, type: "object", ...rest };
}
