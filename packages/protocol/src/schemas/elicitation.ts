import { z } from "zod";

/** How an elicitation ended, as MCP's ElicitResult says it. */
export const ElicitationActionSchema = z.enum(["accept", "decline", "cancel"]);
export type ElicitationAction = z.infer<typeof ElicitationActionSchema>;

/**
 * The content of an accepted form elicitation, as MCP's ElicitResult carries it:
 * flat values only (string, number, boolean, or an array of strings for a multi-select).
 */
export const ElicitationContentSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
);
export type ElicitationContent = z.infer<typeof ElicitationContentSchema>;

/** What an elicitation asks for: a form (a flat JSON Schema of fields) or a URL the user should open. */
export const ElicitationModeSchema = z.enum(["form", "url"]);
export type ElicitationMode = z.infer<typeof ElicitationModeSchema>;

/**
 * Who settled an elicitation that was shown to the user: the user's `elicitation_response`,
 * the server's wait running out (`timeout`, answered `cancel`), or the request going away
 * (`cancelled`: the upstream cancelled it, or the agent ended).
 */
export const ElicitationSourceSchema = z.enum(["user", "timeout", "cancelled"]);
export type ElicitationSource = z.infer<typeof ElicitationSourceSchema>;
