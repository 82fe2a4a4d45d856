// Shared Vitest settings. Each package writes a JSON report into .test-results/
// so tooling/scripts/run-tests.mjs can print one totals line over all packages.
import { defineConfig } from "vitest/config";

export function conduitVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      environment: "node",
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: "forks",
      reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
      ...overrides,
    },
  });
}
