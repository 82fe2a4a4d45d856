// Shared tsup settings: ESM + CJS + .d.ts for every publishable package.
import { defineConfig } from "tsup";

export function conduitTsupConfig(overrides = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node22",
    platform: "node",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
