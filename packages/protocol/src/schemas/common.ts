import { z } from "zod";
import { isMcpKind, type McpKind } from "../mcp-kind.js";

/** A request id on the WebSocket: minted by the side that asks, unique per socket. */
export const RequestIdSchema = z.union([z.string().min(1).max(256), z.int()]);
export type RequestId = z.infer<typeof RequestIdSchema>;

export const McpKindSchema = z
  .string()
  .regex(/^(objectiveai|[A-Za-z0-9._-]{1,128}(\/[A-Za-z0-9._-]{1,128}){3})$/)
  .refine(isMcpKind, { message: "mcp segments may not be made of dots alone" })
  .transform((value) => value as McpKind);

export const ListKindSchema = z.enum(["tools", "resources", "prompts"]);

export const WireErrorSchema = z.object({
  code: z.int(),
  message: z.string(),
  data: z.unknown().optional(),
});

/** Arguments for one MCP: string-or-null values, insertion order kept. */
export const McpArgumentsSchema = z.record(z.string(), z.string().nullable());
export type McpArguments = z.infer<typeof McpArgumentsSchema>;
