import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { McpArguments } from "@conduit/protocol";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Logger, UpstreamSpec } from "../types.js";
import { argumentsToFlags } from "./flags.js";

type StdioSpec = Extract<UpstreamSpec, { kind: "stdio" }>;

/** Variables of the attaching process that are Conduit's own secrets, never an upstream's business. */
const WITHHELD: ReadonlySet<string> = new Set(["CONDUIT_API_KEY"]);

/**
 * The upstream runs as if the user had started it from the same shell: it
 * inherits this process's environment (proxy and CA settings such as
 * HTTPS_PROXY or NODE_EXTRA_CA_CERTS are what make an `npx …` upstream work
 * behind a corporate network), minus Conduit's own key, plus `spec.env`.
 */
export function upstreamEnvironment(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !WITHHELD.has(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * A transport that spawns the upstream with the initialize arguments as flags
 * and the environment of upstreamEnvironment(). The child's stderr is
 * forwarded line by line to the logger.
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
    env: upstreamEnvironment(spec.env),
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
