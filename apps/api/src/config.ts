import { Command, CommanderError } from "commander";
import { MAX_TIMER_MS } from "@conduit/protocol";
import { z } from "zod";
import packageJson from "../package.json" with { type: "json" };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  address: string;
  port: number;
  mcpPort: number;
  /** Empty: the public routes are open. */
  apiKeys: string[];
  /** Keys for GET /admin/status; empty: API_KEYS, and with neither, loopback peers only. */
  adminApiKeys: string[];
  maxSwarm: number;
  reverseChannelTimeoutMs: number;
  maxPendingPerChannel: number;
  maxIdsPerSocket: number;
  maxSseSubscribersPerId: number;
  wsMaxFrameBytes: number;
  /** Browser origins allowed to open the WebSocket ("*" = any); empty: none. */
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxNotifyBytesPerAgent: number;
  maxInvalidFrames: number;
  invalidFrameWindowMs: number;
  /** Elicitations one agent may have open (shown to the user, not yet answered) at once. */
  maxElicitationsPerAgent: number;
  /** How long an elicitation waits for the user's elicitation_response before it is answered `cancel`. */
  elicitationTimeoutMs: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Both listeners: time to receive a request's headers. At most httpRequestTimeoutMs. */
  httpHeadersTimeoutMs: number;
  /** Both listeners: time to receive a whole request (headers and body). */
  httpRequestTimeoutMs: number;
  /** Both listeners: idle time of a keep-alive connection after a response. */
  httpKeepAliveTimeoutMs: number;
  /** Open connections on the public listener (WebSockets included). */
  maxConnections: number;
  /** Open connections on the loopback MCP listener. */
  mcpMaxConnections: number;
  logLevel: LogLevel;
  /** How long an info or debug log line may wait to be written with the lines after it; 0: at once. */
  logBatchMs: number;
  /** Without a trailing slash. */
  openaiBaseUrl: string;
  openaiApiKey: string | undefined;
}

/** Thrown for a bad variable or flag; main prints the message and exits 2 (the usage error code, as in `conduit`). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Thrown after --help / --version printed; main exits 0. */
export class ConfigExit extends Error {
  override readonly name = "ConfigExit";
}

const MIB = 1024 * 1024;

const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 10_000;

/** The longest delay a Node timer honours; past it the timer fires after 1 ms. */
export { MAX_TIMER_MS };

function integer(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodType<number, string> {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a non-negative integer")
    .transform((text) => Number(text))
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const port = integer(0, 65_535);

const apiKeys = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((key) => key.trim())
      .filter((key) => key.length > 0),
  )
  .pipe(z.array(z.string()).min(1, "is set but lists no key (unset it to run without auth)"));

/** `*`, or exactly what a browser sends in `Origin`: scheme://host[:port], lower case, no path. */
const origin = z.string().refine(
  (text) => {
    if (text === "*") return true;
    try {
      return new URL(text).origin === text;
    } catch {
      return false;
    }
  },
  {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is neither "*" nor an origin such as https://app.example.com (no path, no trailing slash)`,
  },
);

const origins = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  )
  .pipe(z.array(origin));

const baseUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }))
  .transform((url) => url.replace(/\/+$/, ""));

interface VarSpec<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  /** The default as the variable would spell it; undefined means unset. */
  default: string | undefined;
  description: string;
  schema: z.ZodType<Config[K], string>;
}

function spec<K extends keyof Config>(value: VarSpec<K>): VarSpec<K> {
  return value;
}

/** Every variable, in the order --help and the README list them. */
export const CONFIG_VARS = [
  spec({
    key: "address",
    env: "ADDRESS",
    flag: "address",
    default: "0.0.0.0",
    description: "public listener address",
    schema: z.string().trim().min(1, "must not be empty"),
  }),
  spec({
    key: "port",
    env: "PORT",
    flag: "port",
    default: "5000",
    description: "public listener port (0 = ephemeral)",
    schema: port,
  }),
  spec({
    key: "mcpPort",
    env: "MCP_PORT",
    flag: "mcp-port",
    default: "0",
    description: "loopback MCP listener port on 127.0.0.1 (0 = ephemeral)",
    schema: port,
  }),
  spec({
    key: "apiKeys",
    env: "API_KEYS",
    flag: "api-keys",
    default: undefined,
    description: "comma-separated bearer keys; unset = open",
    schema: apiKeys,
  }),
  spec({
    key: "adminApiKeys",
    env: "ADMIN_API_KEYS",
    flag: "admin-api-keys",
    default: undefined,
    description:
      "comma-separated bearer keys for GET /admin/status; unset = API_KEYS (loopback only when neither is set)",
    schema: apiKeys,
  }),
  spec({
    key: "maxSwarm",
    env: "MAX_SWARM",
    flag: "max-swarm",
    default: "64",
    description: "largest n (agents per request)",
    schema: integer(1),
  }),
  spec({
    key: "reverseChannelTimeoutMs",
    env: "REVERSE_CHANNEL_TIMEOUT_MS",
    flag: "reverse-channel-timeout-ms",
    default: "30000",
    description: "time the attach client has to answer a server_request",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "maxPendingPerChannel",
    env: "MAX_PENDING_PER_CHANNEL",
    flag: "max-pending-per-channel",
    default: "1024",
    description: "server_requests in flight per WebSocket",
    schema: integer(1),
  }),
  spec({
    key: "maxIdsPerSocket",
    env: "MAX_IDS_PER_SOCKET",
    flag: "max-ids-per-socket",
    default: "1024",
    description: "response ids registered per WebSocket",
    schema: integer(1),
  }),
  spec({
    key: "maxSseSubscribersPerId",
    env: "MAX_SSE_SUBSCRIBERS_PER_ID",
    flag: "max-sse-subscribers-per-id",
    default: "16",
    description: "GET-SSE streams per response id",
    schema: integer(0),
  }),
  spec({
    key: "wsMaxFrameBytes",
    env: "WS_MAX_FRAME_BYTES",
    flag: "ws-max-frame-bytes",
    default: String(16 * MIB),
    description: "largest WebSocket frame",
    schema: integer(1),
  }),
  spec({
    key: "allowedOrigins",
    env: "ALLOWED_ORIGINS",
    flag: "allowed-origins",
    default: undefined,
    description: "comma-separated browser Origins allowed to open the WebSocket, * = any; unset = none",
    schema: origins,
  }),
  spec({
    key: "maxBodyBytes",
    env: "MAX_BODY_BYTES",
    flag: "max-body-bytes",
    default: String(4 * MIB),
    description: "largest POST body (public and MCP route)",
    schema: integer(1),
  }),
  spec({
    key: "maxNotifyBytesPerAgent",
    env: "MAX_NOTIFY_BYTES_PER_AGENT",
    flag: "max-notify-bytes-per-agent",
    default: String(MIB),
    description: "UTF-8 bytes of notify content an agent retains over its life (queued + delivered)",
    schema: integer(1),
  }),
  spec({
    key: "maxInvalidFrames",
    env: "MAX_INVALID_FRAMES",
    flag: "max-invalid-frames",
    default: "100",
    description: "invalid WebSocket frames a socket may send in a burst and per INVALID_FRAME_WINDOW_MS",
    schema: integer(1),
  }),
  spec({
    key: "invalidFrameWindowMs",
    env: "INVALID_FRAME_WINDOW_MS",
    flag: "invalid-frame-window-ms",
    default: "10000",
    description: "the window over which MAX_INVALID_FRAMES refills, in ms",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "maxElicitationsPerAgent",
    env: "MAX_ELICITATIONS_PER_AGENT",
    flag: "max-elicitations-per-agent",
    default: "4",
    description: "elicitations one agent may have open for the user at once (more are refused with -32005)",
    schema: integer(1),
  }),
  spec({
    key: "elicitationTimeoutMs",
    env: "ELICITATION_TIMEOUT_MS",
    flag: "elicitation-timeout-ms",
    default: "25000",
    description: "how long an elicitation waits for the user's answer before it is answered cancel",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "heartbeatMs",
    env: "HEARTBEAT_MS",
    flag: "heartbeat-ms",
    default: "15000",
    description: "WebSocket ping interval",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "idleTimeoutMs",
    env: "IDLE_TIMEOUT_MS",
    flag: "idle-timeout-ms",
    default: "30000",
    description: "end a WebSocket silent for this long",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "shutdownTimeoutMs",
    env: "SHUTDOWN_TIMEOUT_MS",
    flag: "shutdown-timeout-ms",
    default: "10000",
    description: "bound on graceful shutdown before a forced exit",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "httpHeadersTimeoutMs",
    env: "HTTP_HEADERS_TIMEOUT_MS",
    flag: "http-headers-timeout-ms",
    default: String(DEFAULT_HTTP_HEADERS_TIMEOUT_MS),
    description: "both listeners: time to receive a request's headers, 408 after it (at most HTTP_REQUEST_TIMEOUT_MS)",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "httpRequestTimeoutMs",
    env: "HTTP_REQUEST_TIMEOUT_MS",
    flag: "http-request-timeout-ms",
    default: "30000",
    description: "both listeners: time to receive a whole request (headers and body), 408 after it",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "httpKeepAliveTimeoutMs",
    env: "HTTP_KEEP_ALIVE_TIMEOUT_MS",
    flag: "http-keep-alive-timeout-ms",
    default: "5000",
    description: "both listeners: idle keep-alive connections close after this",
    schema: integer(1, MAX_TIMER_MS),
  }),
  spec({
    key: "maxConnections",
    env: "MAX_CONNECTIONS",
    flag: "max-connections",
    default: "4096",
    description: "open connections on the public listener, WebSockets included",
    schema: integer(1),
  }),
  spec({
    key: "mcpMaxConnections",
    env: "MCP_MAX_CONNECTIONS",
    flag: "mcp-max-connections",
    default: "4096",
    description: "open connections on the loopback MCP listener",
    schema: integer(1),
  }),
  spec({
    key: "logLevel",
    env: "LOG_LEVEL",
    flag: "log-level",
    default: "info",
    description: `log level (${LOG_LEVELS.join(", ")})`,
    schema: z.enum(LOG_LEVELS),
  }),
  spec({
    key: "logBatchMs",
    env: "LOG_BATCH_MS",
    flag: "log-batch-ms",
    default: "100",
    description:
      "longest wait of an info or debug log line, to be written with the lines after it (0: each line at once)",
    schema: integer(0, MAX_TIMER_MS),
  }),
  spec({
    key: "openaiBaseUrl",
    env: "OPENAI_BASE_URL",
    flag: "openai-base-url",
    default: "https://openrouter.ai/api/v1",
    description: "OpenAI-compatible Chat Completions base URL",
    schema: baseUrl,
  }),
  spec({
    key: "openaiApiKey",
    env: "OPENAI_API_KEY",
    flag: "openai-api-key",
    default: undefined,
    description: "bearer key for OPENAI_BASE_URL",
    schema: z.string(),
  }),
] as const;

type AnySpec = (typeof CONFIG_VARS)[number];

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function buildCommand(): Command {
  const command = new Command("conduit-api")
    .description("Conduit API server: /agent/completions over SSE, JSON and WebSocket with reverse-attach MCP.")
    .helpOption("-h, --help", "show this help")
    .version(packageJson.version, "-V, --version", "print the version of the API and exit")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const item of CONFIG_VARS) {
    const fallback = item.default === undefined ? "unset" : item.default;
    command.option(`--${item.flag} <value>`, `${item.description} [env ${item.env}] (default: ${fallback})`);
  }
  return command;
}

export function helpText(): string {
  return buildCommand().helpInformation();
}

function parseOne(item: AnySpec, raw: string, source: string): unknown {
  const result = (item.schema as z.ZodType<unknown, string>).safeParse(raw);
  if (result.success) return result.data;
  const reason = result.error.issues.map((issue) => issue.message).join("; ");
  throw new ConfigError(`invalid ${source}: ${reason}`);
}

/**
 * Reads every variable: a flag wins over the environment, which wins over the
 * default. Throws ConfigError naming the variable (and flag) on a bad value.
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (text: string) => void = () => undefined,
): Config {
  const command = buildCommand();
  command.configureOutput({ writeOut: print, writeErr: () => undefined, outputError: () => undefined });
  try {
    command.parse([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") throw new ConfigExit(err.message);
      throw new ConfigError(err.message.replace(/^error: /, ""));
    }
    throw err;
  }
  const flags = command.opts<Record<string, string | undefined>>();
  const out: Partial<Record<keyof Config, unknown>> = {};
  const given = new Set<keyof Config>();
  for (const item of CONFIG_VARS) {
    const fromFlag = flags[camel(item.flag)];
    const fromEnv = env[item.env];
    if (fromFlag !== undefined || fromEnv !== undefined) given.add(item.key);
    if (fromFlag !== undefined) out[item.key] = parseOne(item, fromFlag, `--${item.flag} (${item.env})`);
    else if (fromEnv !== undefined) out[item.key] = parseOne(item, fromEnv, item.env);
    else if (item.default !== undefined) out[item.key] = parseOne(item, item.default, item.env);
    else
      out[item.key] =
        item.key === "apiKeys" || item.key === "adminApiKeys" || item.key === "allowedOrigins" ? [] : undefined;
  }
  const config = out as unknown as Config;
  // Node refuses a headers timeout above the request timeout. The default follows a lower request timeout.
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    if (given.has("httpHeadersTimeoutMs")) {
      throw new ConfigError(
        `invalid HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS (${config.httpRequestTimeoutMs})`,
      );
    }
    config.httpHeadersTimeoutMs = config.httpRequestTimeoutMs;
  }
  return config;
}
