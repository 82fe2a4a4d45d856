import { conduitVitestConfig } from "@conduit/tooling/vitest";

export default conduitVitestConfig();
