import type { UpstreamSpec } from "./types.js";

const HTTP_URL = /^https?:\/\//i;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', "\\", "$", "`"]);

/**
 * Splits a command line the way a POSIX shell splits words, without running a
 * shell: whitespace separates words, '…' is literal, "…" allows \" \\ \$ \`
 * escapes, and a backslash outside quotes escapes the next character.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;

  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else current += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') {
        quote = undefined;
      } else if (char === "\\" && i + 1 < text.length && DOUBLE_QUOTE_ESCAPABLE.has(text[i + 1] as string)) {
        current += text[++i];
      } else {
        current += char;
      }
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === "\\") {
      if (i + 1 >= text.length) throw new TypeError("command line ends with a lone backslash");
      const next = text[++i] as string;
      // A backslash-newline is a line continuation, as in a shell.
      if (next !== "\n") {
        current += next;
        inWord = true;
      }
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new TypeError(`unterminated ${quote === "'" ? "single" : "double"} quote in command line`);
  if (inWord) words.push(current);
  return words;
}

/**
 * `http(s)://…` → a Streamable HTTP upstream; anything else → a stdio command
 * line. Leading `NAME=value` words set environment variables, as in a shell.
 */
export function parseUpstreamSpec(text: string): UpstreamSpec {
  const trimmed = text.trim();
  if (HTTP_URL.test(trimmed)) {
    try {
      return { kind: "http", url: new URL(trimmed).toString() };
    } catch {
      throw new TypeError(`invalid upstream URL ${JSON.stringify(trimmed)}`);
    }
  }
  const words = splitCommandLine(trimmed);
  const env: Record<string, string> = {};
  while (words.length > 1) {
    const match = ASSIGNMENT.exec(words[0] as string);
    if (!match) break;
    env[match[1] as string] = match[2] as string;
    words.shift();
  }
  const [command, ...args] = words;
  if (command === undefined || command.length === 0)
    throw new TypeError("an upstream needs a command or an http(s) URL");
  const spec: UpstreamSpec = { kind: "stdio", command, args };
  if (Object.keys(env).length > 0) spec.env = env;
  return spec;
}
