import { Option, type Command } from "commander";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../attach.js";
import { errorMessage } from "../errors.js";
import { DEFAULT_MAX_UPSTREAMS } from "../options.js";
import {
  DEFAULT_MAX_LISTEN_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  resolveAttachSettings,
  type AttachFlags,
  type AttachSettings,
} from "./attach-settings.js";
import { CONFIG_FILE_NAME, loadConfigFile } from "./config-file.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import { collectHeader, collectMcp, parseLimit, parseTimeoutMs, readBody } from "./parse-options.js";
import { runAttach, type Io } from "./run-attach.js";

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

Config file:
  ./${CONFIG_FILE_NAME} (or --config <path>) gives the url, mcps, headers, apiKey or
  apiKeyEnv, json, status, verbosity, upstreamTimeoutMs, maxListenMs, connectTimeoutMs
  and maxUpstreams. Flags win over the environment (CONDUIT_API_KEY), which wins over
  the file. See the README for an example.

Status line: when stderr is a terminal, one line at the bottom shows the connection,
  agents running, tool calls in flight and the time elapsed (--no-status turns it off).

${EXIT_CODES_HELP}`;

/** `conduit attach`: one run; `setExitCode` receives its exit code. */
export function addAttachCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command("attach")
    .description("Send a request body over WebSocket, print the streamed chunks and answer the API's MCP requests")
    .argument(
      "[url]",
      'the streaming endpoint: ws://, wss://, http:// or https:// (http maps to ws); or "url" in the config file',
    )
    .requiredOption("--body <file|->", "the JSON request body: a file, or - to read it from stdin")
    .option("--config <path>", `read settings from this file instead of ./${CONFIG_FILE_NAME}`)
    .option(
      "--mcp <kind=upstream>",
      "serve an mcp from a stdio command line or an http(s) URL (repeatable; wins over the config file's entry)",
      collectMcp,
    )
    .option("--header <'Name: value'>", "an extra header on the WebSocket upgrade (repeatable)", collectHeader)
    .addOption(new Option("--api-key <key>", "send Authorization: Bearer <key>").env("CONDUIT_API_KEY"))
    .option("--json", "print every chunk as one JSON line (NDJSON) instead of readable lines")
    .option("--no-json", "readable lines even when the config file sets json")
    .option("--no-status", "no status line on stderr (it is shown only when stderr is a terminal)")
    .option("--quiet", "log only warnings and errors to stderr")
    .option("--verbose", "log debug details to stderr")
    .option(
      "--connect-timeout <ms>",
      `time limit for connecting and the WebSocket upgrade (default: ${DEFAULT_CONNECT_TIMEOUT_MS})`,
      parseTimeoutMs,
    )
    .option(
      "--upstream-timeout <ms>",
      `time limit for each upstream MCP call (default: ${DEFAULT_UPSTREAM_TIMEOUT_MS})`,
      parseTimeoutMs,
    )
    .option(
      "--max-listen <ms>",
      `longest a subscriptions/listen (MCP 2026-07-28) stays open upstream; silence does not end it (default: ${DEFAULT_MAX_LISTEN_MS})`,
      parseTimeoutMs,
    )
    .option(
      "--max-upstreams <n>",
      `most upstream connections (stdio processes and HTTP sessions) live at once; past it initialize is refused (default: ${DEFAULT_MAX_UPSTREAMS})`,
      parseLimit,
    )
    .addHelpText("after", ATTACH_HELP)
    .action(async (url: string | undefined, flags: AttachFlags, command: Command) => {
      // --no-status defines a default of true: only a --no-status actually given counts as a flag.
      const status = command.getOptionValueSource("status") === "cli" ? flags.status : undefined;
      let settings: AttachSettings;
      let body: unknown;
      try {
        const file = await loadConfigFile(flags.config, process.cwd());
        settings = resolveAttachSettings(url, { ...flags, status }, file, process.env);
        body = await readBody(flags.body, io.stdin);
      } catch (error) {
        // ConfigFileError, SettingsError, or readBody's readable Error: all usage errors.
        command.error(`error: ${errorMessage(error)}`, { exitCode: ExitCode.Usage });
      }
      setExitCode(await runAttach({ ...settings, body, readNotifyLines: flags.body !== "-" }, io));
    });
}
