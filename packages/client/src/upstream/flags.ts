import type { McpArguments } from "@conduit/protocol";

/** `{a:"1", b:null}` → `["--a", "1", "--b"]`, in insertion order. */
export function argumentsToFlags(args: McpArguments): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    flags.push(`--${key}`);
    if (value !== null) flags.push(value);
  }
  return flags;
}
