#!/usr/bin/env node
// `pnpm test`: builds, runs every package's tests (one package at a time: the
// end-to-end suites start real processes and the machine has two cores), then
// prints one totals line over all packages: `N passed, N failed`.
import "./check-node.mjs";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const workspaceDirs = [
  ...["packages", "apps", "examples"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, group, entry.name, "package.json")))
      .map((entry) => join(group, entry.name)),
  ),
  // Workspace packages at the top level: the end-to-end suites and the repository checks.
  ...["e2e", "checks"].filter((dir) => existsSync(join(root, dir, "package.json"))),
];
const withTests = workspaceDirs.filter((dir) => {
  const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
  return typeof pkg.scripts?.test === "string";
});

for (const dir of withTests) rmSync(join(root, dir, ".test-results"), { recursive: true, force: true });

const turbo = join(root, "node_modules", ".bin", "turbo");
const run = (args) => spawnSync(turbo, args, { cwd: root, stdio: "inherit" }).status ?? 1;

const buildStatus = run(["run", "build", "--output-logs=errors-only"]);
const testStatus = buildStatus === 0 ? run(["run", "test", "--concurrency=1", "--continue"]) : buildStatus;

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of withTests) {
  const report = join(root, dir, ".test-results", "vitest.json");
  if (!existsSync(report)) {
    console.error(`no test report from ${dir} (its test run did not finish)`);
    failed += 1;
    continue;
  }
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + (result.numTodoTests ?? 0);
  // A suite that failed to load has no tests counted but is a failure all the same.
  failed += (result.testResults ?? []).filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0,
  ).length;
}
if (testStatus !== 0 && failed === 0) failed = 1;

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 && testStatus === 0 ? 0 : 1);
