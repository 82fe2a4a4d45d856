import { conduitTsupConfig } from "@conduit/tooling/tsup";

export default conduitTsupConfig({ entry: ["src/index.ts", "src/body/index.ts"] });
