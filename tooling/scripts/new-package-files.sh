#!/usr/bin/env bash
# Writes the per-package config files (tsconfig, tsup, vitest, eslint) that every package shares.
set -euo pipefail
dir=$1
rel=$(realpath --relative-to="$dir" tooling)
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "$rel/tsconfig/base.json",
  "include": ["src", "test", "bench"]
}
JSON
cat > "$dir/tsup.config.ts" <<'TS'
import { conduitTsupConfig } from "@conduit/tooling/tsup";

export default conduitTsupConfig();
TS
cat > "$dir/vitest.config.ts" <<'TS'
import { conduitVitestConfig } from "@conduit/tooling/vitest";

export default conduitVitestConfig();
TS
cat > "$dir/eslint.config.js" <<'JS'
export { default } from "@conduit/tooling/eslint";
JS
