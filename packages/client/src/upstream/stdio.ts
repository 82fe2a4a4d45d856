import type { Readable } from "node:stream";
import type { McpArguments } from "@conduit/protocol";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Logger, UpstreamSpec } from "../types.js";
import { argumentsToFlags } from "./flags.js";

type StdioSpec = Extract<UpstreamSpec, { kind: "stdio" }>;

/** Longest stderr line logged; the rest of a longer line is dropped (never buffered). */
const MAX_STDERR_LINE = 8192;

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
 * forwarded line by line to the logger, each line cut at MAX_STDERR_LINE.
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
  if (stderr) forwardLines(stderr, (line) => log("info", `${name} stderr: ${line}`));
  return transport;
}

/**
 * Calls `onLine` for every line of `input` (ended by \n, \r\n or \r, as readline
 * splits them). Unlike readline, a line longer than MAX_STDERR_LINE is emitted
 * cut as soon as it is that long and the rest of it is skipped, so a child
 * writing without line breaks cannot make memory grow.
 */
function forwardLines(input: Readable, onLine: (line: string) => void): void {
  let partial = "";
  let skipping = false;
  let afterCr = false;
  const emit = (line: string): void => {
    onLine(
      line.length > MAX_STDERR_LINE
        ? `${line.slice(0, MAX_STDERR_LINE)}… (cut at ${MAX_STDERR_LINE} characters)`
        : line,
    );
  };
  input.setEncoding("utf8");
  input.on("data", (text: string) => {
    if (text.length === 0) return;
    // A \r that ended the previous piece may be the first half of \r\n.
    const rest = afterCr && text.startsWith("\n") ? text.slice(1) : text;
    afterCr = false;
    const breaks = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = breaks.exec(rest); match !== null; match = breaks.exec(rest)) {
      if (!skipping) emit(partial + rest.slice(start, match.index));
      partial = "";
      skipping = false;
      start = match.index + match[0].length;
      afterCr = match[0] === "\r" && start === rest.length;
    }
    if (skipping) return;
    partial += rest.slice(start);
    if (partial.length > MAX_STDERR_LINE) {
      emit(partial);
      partial = "";
      skipping = true;
    }
  });
  input.on("end", () => {
    if (!skipping && partial.length > 0) emit(partial);
  });
}
