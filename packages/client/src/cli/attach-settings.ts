import { DEFAULT_CONNECT_TIMEOUT_MS } from "../attach.js";
import { DEFAULT_MAX_UPSTREAMS } from "../options.js";
import type { UpstreamSpec } from "../types.js";
import type { ConfigFile } from "./config-file.js";
import type { Verbosity } from "./logger.js";

/** `conduit attach` flags as commander parsed them; undefined when not given on the command line. */
export interface AttachFlags {
  body: string;
  config?: string;
  mcp?: Record<string, UpstreamSpec>;
  header?: Record<string, string>;
  /** From --api-key or CONDUIT_API_KEY. */
  apiKey?: string;
  json?: boolean;
  /** false only for --no-status given on the command line (see AttachSettingsSources). */
  status?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  upstreamTimeout?: number;
  maxListen?: number;
  maxUpstreams?: number;
  connectTimeout?: number;
}

/** Everything one attach runs with, after flags, environment, config file and defaults are merged. */
export interface AttachSettings {
  url: string;
  mcps: Record<string, UpstreamSpec>;
  headers: Record<string, string>;
  json: boolean;
  status: boolean;
  verbosity: Verbosity;
  upstreamTimeoutMs: number;
  maxListenMs: number;
  maxUpstreams: number;
  connectTimeoutMs: number;
  /** Said on stderr before the run (e.g. an apiKeyEnv naming an unset variable). */
  warnings: string[];
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_LISTEN_MS = 3_600_000;

/** A setting no source gives or two flags that exclude each other: a usage error. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/**
 * Flags win over the environment, which wins over the config file, which wins
 * over the defaults. `--mcp` and `--header` entries win per mcp and per header
 * name; the file's other entries stay. Authorization: `--header` beats the key
 * (--api-key, CONDUIT_API_KEY, the file's apiKeyEnv or apiKey, in that order),
 * which beats the file's `headers`.
 */
export function resolveAttachSettings(
  urlArgument: string | undefined,
  flags: AttachFlags,
  file: ConfigFile | undefined,
  env: NodeJS.ProcessEnv,
): AttachSettings {
  if (flags.quiet && flags.verbose) throw new SettingsError("--quiet and --verbose exclude each other");
  const url = urlArgument ?? file?.url;
  if (url === undefined) {
    throw new SettingsError(
      `no URL: give it as \`conduit attach <url>\` or as "url" in ${file?.path ?? "conduit.config.json"}`,
    );
  }
  const warnings: string[] = [];
  let key = flags.apiKey;
  if (key === undefined && file?.apiKeyEnv !== undefined) {
    key = env[file.apiKeyEnv] || undefined;
    if (key === undefined) {
      warnings.push(`${file.path}: apiKeyEnv names ${file.apiKeyEnv}, which is not set: no API key is sent`);
    }
  }
  key ??= file?.apiKey;
  const headers = { ...file?.headers, ...(key ? { Authorization: `Bearer ${key}` } : {}), ...flags.header };
  const verbosity: Verbosity = flags.quiet ? "quiet" : flags.verbose ? "verbose" : (file?.verbosity ?? "normal");
  return {
    url,
    mcps: { ...file?.mcps, ...flags.mcp },
    headers,
    json: flags.json ?? file?.json ?? false,
    status: flags.status ?? file?.status ?? true,
    verbosity,
    upstreamTimeoutMs: flags.upstreamTimeout ?? file?.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    maxListenMs: flags.maxListen ?? file?.maxListenMs ?? DEFAULT_MAX_LISTEN_MS,
    maxUpstreams: flags.maxUpstreams ?? file?.maxUpstreams ?? DEFAULT_MAX_UPSTREAMS,
    connectTimeoutMs: flags.connectTimeout ?? file?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    warnings,
  };
}
