import { Command, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { ExitCode } from "./exit-codes.js";
import { DEFAULT_MAX_UPSTREAMS } from "../options.js";
import { collectHeader, collectMcp, parseLimit, parseTimeoutMs, readBody } from "./parse-options.js";
import { runAttach, type Io } from "./run-attach.js";
import { registerStatusCommand } from "./status-command.js";
import type { UpstreamSpec } from "../types.js";

interface AttachFlags {
  body: string;
  mcp?: Record<string, UpstreamSpec>;
  header?: Record<string, string>;
  apiKey?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  upstreamTimeout: number;
  maxListen: number;
  maxUpstreams: number;
}

const ATTACH_HELP = `
Examples:
  $ conduit attach wss://api.example.com/agent/completions --body request.json \\
      --mcp objectiveai='npx -y @modelcontextprotocol/server-everything'
  $ conduit attach ws://127.0.0.1:5000/agent/completions --body request.json \\
      --mcp objectiveai='node ./my-server.js --verbose' \\
      --mcp acme/files/1.0.0/fs=http://127.0.0.1:3001/mcp
  $ conduit attach https://api.example.com/agent/completions --body - --json < request.json
  $ CONDUIT_API_KEY=sk-… conduit attach wss://api.example.com/agent/completions --body request.json

Upstreams (--mcp <kind>=<upstream>):
  <kind> is "objectiveai" or "owner/name/version/mcp". <upstream> is an http(s):// URL
  (Streamable HTTP) or a command line, split like a shell does (quotes, backslashes,
  leading NAME=value words set environment variables) but never run through a shell.
  A stdio upstream is spawned once per MCP session, with the session's arguments
  appended as --<name> <value> (or --<name> alone for a null value); sessionless
  MCP 2026-07-28 requests share one per mcp and argument set. At most
  --max-upstreams connections (stdio processes and HTTP sessions together) are live
  at once; past it the API's initialize is answered -32005 and nothing is spawned.

Notify lines on stdin (only when --body is a file), one per line:
  {"response_id":"resp_…","content":"…"}
  resp_… <content>            (a response_id seen in the stream)
  #0 <content>                (the agent with that index)

Elicitations (an MCP server asks you something during a tool call):
  when stdin is a terminal and --body is a file, the question is shown and the next
  stdin line answers it: a JSON object accepts with that content ({"name":"Ada"}),
  \`accept\` accepts without content, an empty line declines, \`cancel\` cancels.
  Otherwise the CLI declines at once and says so on stderr.

Output: one line per event on stdout, prefixed by the agent index:
  [0] <text>   [0] → tool <mcp>::<name>(<args>)   [0] … progress 3/10 <message>
  [0] ← result: …   [0] ✉ notification: …   [0] ? elic_… objectiveai asks (form): …
  [0] ■ finished: stop (usage: …)
  With --json every chunk is printed as one JSON line (NDJSON) and nothing else;
  logs and prompts go to stderr.

Exit codes:
  0    the stream finished (close 1000)
  1    usage error
  2    the API sent an error frame
  3    abnormal close, connection failure or HTTP 401 on the upgrade
  130  interrupted (SIGINT/SIGTERM/SIGHUP); upstream processes are shut down first
`;

/** Parses argv, runs the command and resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.Finished;
  const program = new Command("conduit")
    .description("Attach to a Conduit API stream and serve its MCP requests from local MCP servers.")
    .version(packageJson.version)
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("attach")
    .description("Send a request body over WebSocket, print the streamed chunks and answer the API's MCP requests")
    .argument("<url>", "the streaming endpoint: ws://, wss://, http:// or https:// (http maps to ws)")
    .requiredOption("--body <file|->", "the JSON request body: a file, or - to read it from stdin")
    .option(
      "--mcp <kind=upstream>",
      "serve an mcp from a stdio command line or an http(s) URL (repeatable)",
      collectMcp,
    )
    .option("--header <'Name: value'>", "an extra header on the WebSocket upgrade (repeatable)", collectHeader)
    .addOption(new Option("--api-key <key>", "send Authorization: Bearer <key>").env("CONDUIT_API_KEY"))
    .option("--json", "print every chunk as one JSON line (NDJSON) instead of readable lines")
    .option("--quiet", "log only warnings and errors to stderr")
    .option("--verbose", "log debug details to stderr")
    .option("--upstream-timeout <ms>", "time limit for each upstream MCP call", parseTimeoutMs, 60_000)
    .option(
      "--max-listen <ms>",
      "longest a subscriptions/listen (MCP 2026-07-28) stays open upstream; silence does not end it",
      parseTimeoutMs,
      3_600_000,
    )
    .option(
      "--max-upstreams <n>",
      "most upstream connections (stdio processes and HTTP sessions) live at once; past it initialize is refused",
      parseLimit,
      DEFAULT_MAX_UPSTREAMS,
    )
    .addHelpText("after", ATTACH_HELP)
    .action(async (url: string, flags: AttachFlags, command: Command) => {
      if (flags.quiet && flags.verbose)
        command.error("error: --quiet and --verbose exclude each other", { exitCode: ExitCode.Usage });
      let body: unknown;
      try {
        body = await readBody(flags.body, io.stdin);
      } catch (error) {
        command.error(`error: ${(error as Error).message}`, { exitCode: ExitCode.Usage });
      }
      // An explicit --header Authorization wins over --api-key.
      const headers = { ...(flags.apiKey ? { Authorization: `Bearer ${flags.apiKey}` } : {}), ...flags.header };
      exitCode = await runAttach(
        {
          url,
          body,
          readNotifyLines: flags.body !== "-",
          mcps: flags.mcp ?? {},
          headers,
          json: flags.json === true,
          verbosity: flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal",
          upstreamTimeoutMs: flags.upstreamTimeout,
          maxListenMs: flags.maxListen,
          maxUpstreams: flags.maxUpstreams,
        },
        io,
      );
    });

  registerStatusCommand(program, io, (code) => (exitCode = code));
  await program.parseAsync(argv);
  return exitCode;
}
