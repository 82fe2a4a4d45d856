import { escapeControls, forLog, urlForLogs } from "../log-text.js";
import type { AttachEvent, UpstreamSpec } from "../types.js";
import { MAX_TAIL_CHARS, STDERR_TAIL_LEAD, STDOUT_HINT } from "../upstream/child-output.js";

export type UpstreamFailure = Extract<AttachEvent, { type: "upstream_failed" }>;

/** Distinct upstream failures printed per run; past it one line says the rest is at --verbose. */
export const MAX_FAILURE_LINES = 10;

export interface DescribeOptions {
  /**
   * The upstreams' stderr lines are printed as they come (the default level and
   * --verbose): a failure then points at them instead of quoting its stderr tail again.
   */
  stderrShown: boolean;
}

/**
 * Prints each distinct upstream failure once (an agent that retries a broken
 * upstream repeats the same failure), at most MAX_FAILURE_LINES of them, and
 * remembers that one happened (for the exit code).
 */
export class UpstreamFailures {
  readonly #mcps: ReadonlyMap<string, UpstreamSpec>;
  readonly #print: (line: string) => void;
  readonly #options: DescribeOptions;
  readonly #seen = new Set<string>();
  #count = 0;

  constructor(
    mcps: Readonly<Record<string, UpstreamSpec>>,
    print: (line: string) => void,
    options: DescribeOptions = { stderrShown: false },
  ) {
    this.#mcps = new Map(Object.entries(mcps));
    this.#print = print;
    this.#options = options;
  }

  /** Some upstream failed during this run. */
  get any(): boolean {
    return this.#count > 0;
  }

  report(failure: UpstreamFailure): void {
    this.#count++;
    const line = describeUpstreamFailure(failure, this.#mcps.get(failure.mcp), this.#options);
    if (this.#seen.has(line)) return;
    if (this.#seen.size === MAX_FAILURE_LINES) {
      this.#seen.add(line);
      this.#print("more upstream failures follow; run with --verbose to see each one");
      return;
    }
    if (this.#seen.size > MAX_FAILURE_LINES) return;
    this.#seen.add(line);
    this.#print(line);
  }
}

/** `upstream "fs" could not start: command "npxx" not found (spawn ENOENT)`, and the like. */
export function describeUpstreamFailure(
  failure: UpstreamFailure,
  spec: UpstreamSpec | undefined,
  options: DescribeOptions = { stderrShown: false },
): string {
  const what = failure.phase === "start" ? "could not start" : `broke during the run (${forLog(failure.method)})`;
  // A stdio child's stderr tail ends the message (see StdioTransport); it is quoted whole, not cut with the rest.
  const lead = failure.message.indexOf(STDERR_TAIL_LEAD);
  // The transport warned with the hint when it read the first such line (also with --quiet): not twice.
  const message = (lead < 0 ? failure.message : failure.message.slice(0, lead)).replace(
    ` (${STDOUT_HINT})`,
    " (see the warning above)",
  );
  const tail = lead < 0 ? undefined : failure.message.slice(lead + STDERR_TAIL_LEAD.length);
  const cause = causeOf({ ...failure, message }, spec);
  const quoted =
    tail === undefined
      ? ""
      : options.stderrShown
        ? "; its stderr is shown above"
        : `${STDERR_TAIL_LEAD}${quotedTail(tail)}`;
  return `upstream ${JSON.stringify(forLog(failure.mcp))} ${what}: ${cause}${quoted}`;
}

/** The transport already cut each line and bounded the whole (StderrTail); this only makes sure of it. */
function quotedTail(tail: string): string {
  const escaped = escapeControls(tail);
  return escaped.length <= MAX_TAIL_CHARS ? escaped : `${escaped.slice(0, MAX_TAIL_CHARS)}… (cut)`;
}

function causeOf(failure: UpstreamFailure, spec: UpstreamSpec | undefined): string {
  const message = failure.message;
  if (spec === undefined) {
    return `no upstream is configured for it: add --mcp ${forLog(failure.mcp)}=<command or URL> (or an "mcps" entry in conduit.config.json)`;
  }
  if (spec.kind === "stdio") {
    const spawnError = /\bspawn (.+?) (ENOENT|EACCES)\b/.exec(message);
    if (spawnError) {
      const [, command, code] = spawnError as unknown as [string, string, string];
      const problem = code === "ENOENT" ? "not found" : "not executable (permission denied)";
      return `command ${JSON.stringify(forLog(command))} ${problem} (spawn ${code})`;
    }
    const cause = forLog(withoutStartPrefix(message, failure.mcp));
    if (
      failure.phase === "start" &&
      /\bwithin \d+ ms\b/.test(message) &&
      !/ on stdout that (?:is|are) not JSON-RPC/.test(message)
    ) {
      return `${cause}; does ${JSON.stringify(forLog(spec.command))} speak MCP on stdio? (--verbose shows what it printed)`;
    }
    return cause;
  }
  const cause = forLog(withoutStartPrefix(message, failure.mcp));
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EAI_AGAIN/.test(message)) {
    return `${cause}: is the MCP server running at ${urlForLogs(spec.url)}?`;
  }
  return cause;
}

/**
 * The client's own lead-ins, `cannot start upstream for <mcp> (<command or url>): ` and
 * `upstream <mcp> `, say what the line already says.
 */
function withoutStartPrefix(message: string, mcp: string): string {
  const lead = `cannot start upstream for ${mcp} (`;
  if (message.startsWith(lead)) {
    const end = message.indexOf("): ", lead.length);
    return end < 0 ? message : message.slice(end + 3);
  }
  for (const name of [`upstream ${mcp} (shared, sessionless) `, `upstream ${mcp} `]) {
    if (message.startsWith(name)) return message.slice(name.length);
  }
  return message;
}
