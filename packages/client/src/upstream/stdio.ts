import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { McpArguments } from "@conduit/protocol";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Logger, UpstreamSpec } from "../types.js";
import { argumentsToFlags } from "./flags.js";

type StdioSpec = Extract<UpstreamSpec, { kind: "stdio" }>;

/**
 * A transport that spawns the upstream with the initialize arguments as flags.
 * The environment is the SDK's safe default (HOME, PATH, …) plus `spec.env`,
 * so secrets of the attaching process (e.g. an API key) never leak to it.
 * The child's stderr is forwarded line by line to the logger.
 */
export function createStdioTransport(
  spec: StdioSpec,
  args: McpArguments,
  name: string,
  log: Logger,
): StdioClientTransport {
  const transport = new StdioClientTransport({
    command: spec.command,
    args: [...(spec.args ?? []), ...argumentsToFlags(args)],
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stderr: "pipe",
  });
  // With stderr "pipe" the SDK hands out a PassThrough before the child even starts.
  const stderr = transport.stderr as Readable | null;
  if (stderr) {
    createInterface({ input: stderr, crlfDelay: Infinity }).on("line", (line) =>
      log("info", `${name} stderr: ${line}`),
    );
  }
  return transport;
}
