import shared from "@conduit/tooling/eslint";

// .examples/ holds README blocks written out to run (see src/example-files.ts), not this package's code.
export default [{ ignores: [".examples/**"] }, ...shared];
