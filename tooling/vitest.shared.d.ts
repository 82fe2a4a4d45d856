import type { UserConfig } from "vitest/config";
export declare function conduitVitestConfig(overrides?: NonNullable<UserConfig["test"]>): UserConfig;
