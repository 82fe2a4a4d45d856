import { conduitTsupConfig } from "@conduit/tooling/tsup";

// One build for the library and the CLI; src/cli.ts starts with its own shebang.
export default conduitTsupConfig({ entry: ["src/index.ts", "src/cli.ts"] });
