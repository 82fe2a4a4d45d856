// Runs the official MCP conformance CLI (`server --suite all`) against one URL
// and collects a verdict per scenario: its summary line (✓ = no FAILURE check)
// plus, from the per-scenario checks.json it writes, the failing checks and
// the warnings. Each scenario runs at its own spec revision (the CLI's
// default): 2025-11-25 for the dated ones, 2026-07-28 for the draft ones.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawnNode, stop, within } from "./processes.mjs";

const require = createRequire(import.meta.url);
const packageJson = require.resolve("@modelcontextprotocol/conformance/package.json");
const manifest = JSON.parse(readFileSync(packageJson, "utf8"));
export const CONFORMANCE_VERSION = manifest.version;
const CONFORMANCE_BIN = join(dirname(packageJson), manifest.bin.conformance);

const SUMMARY_LINE = /^([✓✗]) (\S+): (\d+) passed, (\d+) failed$/u;
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/;

/** Reads `<dir>/server-<scenario>-<timestamp>/checks.json` into a map scenario → checks. */
function readChecks(dir) {
  const checks = new Map();
  for (const entry of readdirSync(dir)) {
    const match = RESULT_DIR.exec(entry);
    const file = join(dir, entry, "checks.json");
    if (match && existsSync(file)) checks.set(match[1], JSON.parse(readFileSync(file, "utf8")));
  }
  return checks;
}

/**
 * Runs the whole `all` suite against `url`. `onScenario(name)` is called as
 * each scenario starts. Resolves to { scenarios: [{ scenario, pass, passed,
 * failed, warnings, failures: [{id, message}] }], exit, ms }.
 */
export async function runSuite(url, { label, timeoutMs, onScenario }) {
  const outDir = mkdtempSync(join(tmpdir(), `conduit-conformance-${label}-`));
  const started = performance.now();
  const child = spawnNode(
    `conformance (${label})`,
    [CONFORMANCE_BIN, "server", "--url", url, "--suite", "all", "--output-dir", outDir],
    {
      env: { NO_COLOR: "1", FORCE_COLOR: "0" },
      onStdout: (line) => {
        const match = /^=== Running scenario: (\S+) ===$/.exec(line);
        if (match) onScenario?.(match[1]);
      },
    },
  );
  try {
    let exit;
    try {
      exit = await within(child.exited, timeoutMs, `conformance suite (${label})`);
    } catch (error) {
      exit = { ...(await stop(child)), timedOut: true, error: error.message };
    }
    const checks = readChecks(outDir);
    // A scenario that threw has no checks.json, only this line (on stderr).
    const notRun = new Map();
    for (const line of [...child.stdout.lines, ...child.stderr.lines]) {
      const match = /^Failed to run scenario (\S+): (.*)$/.exec(line);
      if (match) notRun.set(match[1], match[2]);
    }
    const scenarios = [];
    let inSummary = false;
    for (const line of child.stdout.lines) {
      if (line.trim() === "=== SUMMARY ===") inSummary = true;
      const match = inSummary ? SUMMARY_LINE.exec(line.trim()) : null;
      if (!match) continue;
      const [, mark, scenario, passed, failed] = match;
      const own = checks.get(scenario) ?? [];
      const thrown = notRun.get(scenario);
      scenarios.push({
        scenario,
        pass: mark === "✓",
        passed: Number(passed),
        failed: Number(failed),
        warnings: own.filter((check) => check.status === "WARNING").length,
        failures: [
          ...own
            .filter((check) => check.status === "FAILURE")
            .map((check) => ({ id: check.id, message: check.errorMessage ?? check.description ?? "" })),
          ...(thrown === undefined ? [] : [{ id: scenario, message: `scenario did not complete: ${thrown}` }]),
        ],
      });
    }
    if (scenarios.length === 0)
      throw new Error(
        `conformance (${label}) printed no summary (exit ${JSON.stringify(exit)})\n` +
          `${child.stdout.tail(40)}\n${child.stderr.tail(40)}`,
      );
    return { scenarios, exit, ms: Math.round(performance.now() - started) };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Every server scenario the CLI knows, with the spec revisions it applies to (`conformance list --server`). */
export async function listServerScenarios() {
  const child = spawnNode("conformance list", [CONFORMANCE_BIN, "list", "--server"], { env: { NO_COLOR: "1" } });
  const exit = await within(child.exited, 60_000, "conformance list --server");
  if (exit.code !== 0)
    throw new Error(`conformance list --server exited ${JSON.stringify(exit)}\n${child.stderr.tail()}`);
  const revisions = new Map();
  for (const line of child.stdout.lines) {
    const match = /^\s+- (\S+) \[([^\]]*)\]$/.exec(line);
    if (match) revisions.set(match[1], match[2].split(","));
  }
  return revisions;
}
