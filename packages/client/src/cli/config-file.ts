import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseMcpKind } from "@conduit/protocol";
import { z } from "zod";
import { MAX_TIMEOUT_MS, toWebSocketUrl } from "../options.js";
import { parseUpstreamSpec } from "../spec-parser.js";
import type { UpstreamSpec } from "../types.js";
import type { Verbosity } from "./logger.js";

/** Looked up in the working directory when --config is not given. */
export const CONFIG_FILE_NAME = "conduit.config.json";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A whole number from 1 to MAX_TIMEOUT_MS, the range attach() checks for every timeout and bound. */
function upToMaxTimer(unit: string) {
  return z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_MS, { error: `expected a whole number${unit} from 1 to ${MAX_TIMEOUT_MS}` });
}

const timeoutMs = upToMaxTimer(" of ms");
/** An upstream's byte or time bound (see the README's Upstreams section). */
const bound = upToMaxTimer("");

const stringMap = z.record(z.string(), z.string());

const McpEntrySchema = z.union(
  [
    z.string().min(1),
    z.strictObject({
      command: z.string().min(1),
      args: z.array(z.string()).optional(),
      env: stringMap.optional(),
      cwd: z.string().min(1).optional(),
      maxLineBytes: bound.optional(),
    }),
    z.strictObject({
      url: z.string().min(1),
      headers: stringMap.optional(),
      maxJsonBytes: bound.optional(),
      maxSseEventChars: bound.optional(),
      connectTimeoutMs: bound.optional(),
      headersTimeoutMs: bound.optional(),
      closeTimeoutMs: bound.optional(),
    }),
  ],
  {
    error:
      'expected a command line or URL string, {"command", "args"?, "env"?, "cwd"?, "maxLineBytes"?} or {"url", "headers"?, and the HTTP bounds?}',
  },
);

export const ConfigFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    url: z.string().min(1).optional(),
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" })
      .optional(),
    headers: z.record(z.string().regex(HEADER_NAME, { error: "expected a header name" }), z.string()).optional(),
    mcps: z.record(z.string(), McpEntrySchema).optional(),
    json: z.boolean().optional(),
    status: z.boolean().optional(),
    verbosity: z.enum(["quiet", "normal", "verbose"]).optional(),
    upstreamTimeoutMs: timeoutMs.optional(),
    maxListenMs: timeoutMs.optional(),
    connectTimeoutMs: timeoutMs.optional(),
    maxUpstreams: z.number().int().min(1).optional(),
  })
  .refine((config) => config.apiKey === undefined || config.apiKeyEnv === undefined, {
    error: 'give "apiKey" or "apiKeyEnv", not both',
    path: ["apiKeyEnv"],
  });

/** The file's settings, checked and with every mcp already an UpstreamSpec. */
export interface ConfigFile {
  /** The path the settings came from, as given or found. */
  path: string;
  url?: string;
  apiKey?: string;
  apiKeyEnv?: string;
  headers: Record<string, string>;
  mcps: Record<string, UpstreamSpec>;
  json?: boolean;
  status?: boolean;
  verbosity?: Verbosity;
  upstreamTimeoutMs?: number;
  maxListenMs?: number;
  connectTimeoutMs?: number;
  maxUpstreams?: number;
}

/** A config file that cannot be read or is not valid: a usage error, its message names the file and the field. */
export class ConfigFileError extends Error {
  override readonly name = "ConfigFileError";
}

/**
 * Reads `explicitPath` (which must exist) or, without one, `./conduit.config.json`
 * when it exists. Resolves undefined when there is no file to read.
 */
export async function loadConfigFile(explicitPath: string | undefined, cwd: string): Promise<ConfigFile | undefined> {
  const path = explicitPath ?? CONFIG_FILE_NAME;
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    if (explicitPath === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfigFile(json, path, resolve(cwd, dirname(path)));
}

/** Checks the parsed JSON; stdio upstreams run in `baseDir` (the file's directory) unless they say otherwise. */
export function parseConfigFile(json: unknown, path: string, baseDir: string): ConfigFile {
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigFileError(`${path}: ${fieldOf(issue?.path ?? [])}${issue?.message ?? "invalid"}`);
  }
  const { mcps = {}, headers = {}, url, $schema: _schema, ...rest } = parsed.data;
  if (url !== undefined) {
    try {
      toWebSocketUrl(url);
    } catch (error) {
      throw new ConfigFileError(`${path}: field "url": ${(error as Error).message}`);
    }
  }
  const specs: Record<string, UpstreamSpec> = {};
  for (const [kind, entry] of Object.entries(mcps)) {
    const field = `field ${JSON.stringify(`mcps.${kind}`)}: `;
    const checked = parseMcpKind(kind);
    if (!checked.ok) throw new ConfigFileError(`${path}: ${field}invalid mcp kind: ${checked.reason}`);
    try {
      specs[kind] = toSpec(entry, baseDir);
    } catch (error) {
      throw new ConfigFileError(`${path}: ${field}${(error as Error).message}`);
    }
  }
  return { path, headers, mcps: specs, ...(url === undefined ? {} : { url }), ...withoutUndefined(rest) };
}

function toSpec(entry: z.infer<typeof McpEntrySchema>, baseDir: string): UpstreamSpec {
  if (typeof entry === "string") {
    const spec = parseUpstreamSpec(entry);
    return spec.kind === "stdio" ? { ...spec, cwd: baseDir } : spec;
  }
  if ("command" in entry) {
    const { command, args, env, cwd, ...bounds } = entry;
    return {
      kind: "stdio",
      command,
      ...(args ? { args } : {}),
      ...(env ? { env } : {}),
      cwd: resolve(baseDir, cwd ?? "."),
      ...withoutUndefined(bounds),
    };
  }
  const { url, headers, ...bounds } = entry;
  const protocol = new URL(url).protocol;
  if (protocol !== "http:" && protocol !== "https:") throw new Error("the url must be http:// or https://");
  return { kind: "http", url, ...(headers ? { headers } : {}), ...withoutUndefined(bounds) };
}

function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "";
  return `field ${JSON.stringify(path.map(String).join("."))}: `;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
