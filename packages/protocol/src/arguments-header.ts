import type { McpArguments } from "./schemas/common.js";

/**
 * Decodes `X-OBJECTIVEAI-ARGUMENTS`: a JSON object of string-or-null values,
 * order kept. Absent or malformed (not an object, or any other value type)
 * gives `{}`, as SPEC §5 says.
 */
export function decodeArgumentsHeader(value: string | string[] | undefined): McpArguments {
  if (typeof value !== "string" || value.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
  for (const item of Object.values(parsed)) {
    if (item !== null && typeof item !== "string") return {};
  }
  return parsed as McpArguments;
}

const NON_ASCII = /[\u007f-\uffff]/g;

/**
 * Encodes arguments for `X-OBJECTIVEAI-ARGUMENTS`. A header value must be
 * ASCII, so every other character is written as a JSON `\uXXXX` escape; the
 * text stays valid JSON and decodes to the same values.
 */
export function encodeArgumentsHeader(args: McpArguments): string {
  return JSON.stringify(args).replace(NON_ASCII, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
