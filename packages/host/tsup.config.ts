import { conduitTsupConfig } from "@conduit/tooling/tsup";

export default conduitTsupConfig();
