import { Option, type Command } from "commander";
import { forLog } from "../log-text.js";
import { ExitCode } from "./exit-codes.js";
import { parseTimeoutMs } from "./parse-options.js";
import type { Io } from "./run-attach.js";

interface StatusFlags {
  url: string;
  apiKey?: string;
  json?: boolean;
  timeout: number;
}

/** The shape of GET /admin/status that the table reads (see apps/api and @conduit/host `snapshot()`). */
interface AdminStatus {
  status?: string;
  uptimeMs?: number;
  mcpUrl?: string | null;
  totals?: { sockets?: number; agents?: number; inFlight?: number };
  sockets?: {
    id?: string;
    remoteAddress?: string | null;
    subprotocol?: string;
    connectedMs?: number;
    agents?: string[];
    agentCount?: number;
    declaredMcps?: string[];
    inFlight?: number;
  }[];
  traffic?: {
    windowMs?: number;
    total?: number;
    counts?: { mcp?: string; method?: string; outcome?: string; count?: number }[];
  };
}

export const ADMIN_STATUS_PATH = "/admin/status";

const STATUS_HELP = `
Reads GET /admin/status of a Conduit API: live sockets (peer, connected for, subprotocol),
their agents (shortened response ids), declared mcps, MCP requests in flight, and recent
MCP traffic counts. --url takes the API's ws(s):// or http(s):// URL; only its origin is used.

Examples:
  $ conduit status --url ws://127.0.0.1:5000/agent/completions
  $ CONDUIT_API_KEY=sk-admin… conduit status --url https://api.example.com --json

Exit codes: 0 listed; 1 usage error; 3 the API could not be reached or refused (401, 403, …).
`;

/** The admin status URL on the origin of `url` (ws → http, wss → https); throws TypeError for anything else. */
export function adminStatusUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`--url: not a URL: ${url}`);
  }
  const scheme = { "ws:": "http:", "wss:": "https:", "http:": "http:", "https:": "https:" }[parsed.protocol];
  if (scheme === undefined)
    throw new TypeError(`--url: expected ws://, wss://, http:// or https://, got ${parsed.protocol}`);
  return new URL(ADMIN_STATUS_PATH, `${scheme}//${parsed.host}`);
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "?";
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${minutes % 60}m`;
}

/** Columns padded to their widest cell; every cell is server text, so it goes through forLog. */
function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows.map((row) => row.map(forLog))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The listed (shortened) ids, and how many more the API did not list. */
function agentsCell(agents: string[], count: number | undefined): string {
  const more = count !== undefined && count > agents.length ? ` +${count - agents.length} more` : "";
  return `${agents.join(",")}${more}`;
}

export function formatStatus(status: AdminStatus, origin: string): string {
  const totals = status.totals ?? {};
  const lines = [
    `${origin}: ${forLog(status.status ?? "?")}, up ${duration(status.uptimeMs)}; ` +
      `${totals.sockets ?? 0} socket(s), ${totals.agents ?? 0} agent(s), ${totals.inFlight ?? 0} MCP request(s) in flight`,
  ];
  const sockets = status.sockets ?? [];
  if (sockets.length > 0) {
    lines.push(
      "",
      table(
        ["SOCKET", "PEER", "PROTOCOL", "CONNECTED", "IN FLIGHT", "MCPS", "AGENTS"],
        sockets.map((socket) => [
          socket.id ?? "?",
          socket.remoteAddress ?? "?",
          socket.subprotocol ?? "?",
          duration(socket.connectedMs),
          String(socket.inFlight ?? 0),
          (socket.declaredMcps ?? []).join(","),
          agentsCell(socket.agents ?? [], socket.agentCount),
        ]),
      ),
    );
  }
  const traffic = status.traffic;
  const counts = traffic?.counts ?? [];
  lines.push("", `MCP traffic, last ${duration(traffic?.windowMs)}: ${traffic?.total ?? 0} request(s)`);
  if (counts.length > 0) {
    lines.push(
      table(
        ["MCP", "METHOD", "OUTCOME", "COUNT"],
        counts.map((row) => [row.mcp ?? "?", row.method ?? "?", row.outcome ?? "?", String(row.count ?? 0)]),
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function runStatus(flags: StatusFlags, io: Io): Promise<number> {
  let url: URL;
  try {
    url = adminStatusUrl(flags.url);
  } catch (err) {
    io.stderr.write(`conduit: ${(err as Error).message}\n`);
    return ExitCode.Usage;
  }
  let response: Response;
  try {
    response = await fetch(url, {
      headers: flags.apiKey ? { authorization: `Bearer ${flags.apiKey}` } : {},
      signal: AbortSignal.timeout(flags.timeout),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    io.stderr.write(`conduit: ${url.href} could not be reached: ${forLog(cause)}\n`);
    return ExitCode.Connection;
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // Not the API's JSON error: show the body as it is.
    }
    const hint =
      response.status === 401
        ? " (pass --api-key or set CONDUIT_API_KEY: an ADMIN_API_KEYS key, else an API_KEYS key)"
        : "";
    io.stderr.write(`conduit: ${url.href} answered ${response.status}: ${forLog(message)}${hint}\n`);
    return ExitCode.Connection;
  }
  let status: AdminStatus;
  try {
    status = JSON.parse(text) as AdminStatus;
  } catch {
    io.stderr.write(`conduit: ${url.href} did not answer JSON (is it a Conduit API?)\n`);
    return ExitCode.Connection;
  }
  io.stdout.write(flags.json ? `${text}\n` : formatStatus(status, url.origin));
  return ExitCode.Success;
}

/** Adds `conduit status` to the program; `setExitCode` receives the command's exit code. */
export function addStatusCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command("status")
    .description("List the sockets, agents, declared mcps and recent MCP traffic of a Conduit API (GET /admin/status)")
    .requiredOption("--url <url>", "the API: ws://, wss://, http:// or https:// (only the origin is used)")
    .addOption(new Option("--api-key <key>", "send Authorization: Bearer <key>").env("CONDUIT_API_KEY"))
    .option("--json", "print the API's JSON as it is")
    .option("--timeout <ms>", "give up after this long", parseTimeoutMs, 10_000)
    .addHelpText("after", STATUS_HELP)
    .action(async (flags: StatusFlags) => {
      setExitCode(await runStatus(flags, io));
    });
}
