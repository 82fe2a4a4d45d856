// The two built processes every tunnel run needs, shared by the conformance
// runner and the TypeScript suites: the API (ephemeral ports on 127.0.0.1) and
// `conduit attach` connected to it with a request body and its --mcp upstreams.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseJsonObject, spawnNode, stop, waitForLine } from "./processes.mjs";

const require = createRequire(import.meta.url);
export const API_MAIN = join(dirname(require.resolve("@conduit/api/package.json")), "dist", "main.js");
export const CLI_MAIN = join(dirname(require.resolve("@conduit/client/package.json")), "dist", "cli.js");

/** Quotes one word for the attach client's POSIX-like command-line splitting. */
export const shellQuote = (word) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * Starts the built API on ephemeral loopback ports, without API keys; `env` adds to (or, with
 * `undefined`, removes from) that environment. Resolves once it logs `listening`; past `ms` (a bound)
 * or on an early exit it is stopped and the promise rejects.
 */
export async function startApiProcess(env = {}, ms = 30_000) {
  const child = spawnNode("api", [API_MAIN], {
    env: { PORT: "0", MCP_PORT: "0", ADDRESS: "127.0.0.1", LOG_LEVEL: "info", API_KEYS: undefined, ...env },
  });
  try {
    const { port, mcpPort } = await waitForLine(
      child,
      (line) => {
        const record = parseJsonObject(line);
        return record?.msg === "listening" ? { port: Number(record.port), mcpPort: Number(record.mcpPort) } : undefined;
      },
      "`listening` log line",
      ms,
    );
    return { child, port, mcpPort };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/**
 * Spawns the built `conduit attach --json` against the API on `port` with `bodyFile` as the
 * request and one `--mcp name=command` per entry of `mcps`; no API key unless `env` sets one.
 */
export function spawnAttach(name, { port, bodyFile, mcps, env = {} }) {
  const mcpArgs = Object.entries(mcps).flatMap(([mcp, command]) => ["--mcp", `${mcp}=${command}`]);
  return spawnNode(
    name,
    [CLI_MAIN, "attach", `ws://127.0.0.1:${port}/agent/completions`, "--json", "--body", bodyFile, ...mcpArgs],
    { env: { CONDUIT_API_KEY: undefined, ...env } },
  );
}
