import { z } from "zod";
import { ChunkSchema } from "./schemas/chunk.js";
import { RequestBodySchema } from "./schemas/body.js";
import {
  ChunkFrameSchema,
  ClientRequestFrameSchema,
  ClientResponseFrameSchema,
  ErrorFrameSchema,
  ServerRequestFrameSchema,
  ServerResponseFrameSchema,
} from "./schemas/frames.js";

const SCHEMAS = {
  body: RequestBodySchema,
  chunk: ChunkSchema,
  server_response: ServerResponseFrameSchema,
  client_request: ClientRequestFrameSchema,
  chunk_frame: ChunkFrameSchema,
  server_request: ServerRequestFrameSchema,
  client_response: ClientResponseFrameSchema,
  error: ErrorFrameSchema,
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
    out[name] = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaDocument;
  }
  return out;
}
