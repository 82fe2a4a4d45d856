import type { Options } from "tsup";
export declare function conduitTsupConfig(overrides?: Options): Options | Options[];
