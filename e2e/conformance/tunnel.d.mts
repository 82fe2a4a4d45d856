// Types of tunnel.mjs, for the TypeScript tests that reuse it.
import type { Child } from "./processes.mjs";

export const API_MAIN: string;
export const CLI_MAIN: string;

export function shellQuote(word: string): string;

export interface ApiProcess {
  readonly child: Child;
  readonly port: number;
  readonly mcpPort: number;
}

export function startApiProcess(env?: Record<string, string | undefined>, ms?: number): Promise<ApiProcess>;

export function spawnAttach(
  name: string,
  options: {
    port: number;
    bodyFile: string;
    /** mcp name → the command (or URL) given to `--mcp name=…`. */
    mcps: Record<string, string>;
    env?: Record<string, string | undefined>;
  },
): Child;
