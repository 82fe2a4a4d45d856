import { conduitVitestConfig } from "@conduit/tooling/vitest";

// These tests start pnpm through npx, turbo, the built API and README examples as real processes: one
// file at a time (concurrent turbo runs wait on each other), and on a loaded two-core CI a single test
// can take well over the shared 30 s. The bounds only stop a hung test.
export default conduitVitestConfig({ fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 });
