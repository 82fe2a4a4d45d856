import { conduitTsupConfig } from "@conduit/tooling/tsup";

export default conduitTsupConfig({ entry: ["src/main.ts"], format: ["esm"], dts: false });
