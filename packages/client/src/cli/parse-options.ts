import { readFile } from "node:fs/promises";
import { parseMcpKind } from "@conduit/protocol";
import { InvalidArgumentError } from "commander";
import { MAX_TIMEOUT_MS } from "../options.js";
import { parseUpstreamSpec } from "../spec-parser.js";
import type { UpstreamSpec } from "../types.js";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `--mcp <kind>=<command line or URL>`, repeatable; a kind may be given once. */
export function collectMcp(value: string, previous: Record<string, UpstreamSpec> = {}): Record<string, UpstreamSpec> {
  const equals = value.indexOf("=");
  if (equals <= 0)
    throw new InvalidArgumentError(
      "expected <kind>=<command or URL>, e.g. objectiveai='npx -y @modelcontextprotocol/server-everything'",
    );
  const kind = value.slice(0, equals);
  const parsed = parseMcpKind(kind);
  if (!parsed.ok) throw new InvalidArgumentError(`invalid mcp kind ${JSON.stringify(kind)}: ${parsed.reason}`);
  if (Object.hasOwn(previous, kind)) throw new InvalidArgumentError(`mcp ${kind} is given twice`);
  let spec: UpstreamSpec;
  try {
    spec = parseUpstreamSpec(value.slice(equals + 1));
  } catch (error) {
    throw new InvalidArgumentError(`mcp ${kind}: ${(error as Error).message}`);
  }
  return { ...previous, [kind]: spec };
}

/** `--header "Name: value"`, repeatable. */
export function collectHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = value.indexOf(":");
  const name = colon < 0 ? "" : value.slice(0, colon).trim();
  if (!HEADER_NAME.test(name)) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [name]: value.slice(colon + 1).trim() };
}

/** `--upstream-timeout <ms>`: 1..2147483647, the range a Node timer honours. */
export function parseTimeoutMs(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0 || number > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`expected a whole number of ms from 1 to ${MAX_TIMEOUT_MS}`);
  return number;
}

/** `--max-upstreams <n>`: a whole number of at least 1. */
export function parseLimit(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError("expected a whole number of at least 1");
  return number;
}

/** Reads and parses the body from a file, or from stdin for `-`. Throws Error with a readable message. */
export async function readBody(source: string, stdin: NodeJS.ReadableStream): Promise<unknown> {
  let text: string;
  try {
    text = source === "-" ? await readAll(stdin) : await readFile(source, "utf8");
  } catch (error) {
    throw new Error(`cannot read the body from ${source === "-" ? "stdin" : source}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`the body in ${source === "-" ? "stdin" : source} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(typeof part === "string" ? Buffer.from(part) : part);
  return Buffer.concat(parts).toString("utf8");
}
