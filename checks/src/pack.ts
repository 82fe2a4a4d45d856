// Typed access to tooling/scripts/pack-install.mjs (a plain .mjs helper, also used by package tests).
// @ts-expect-error -- a plain .mjs helper of the tooling folder, typed here
import * as packInstall from "../../tooling/scripts/pack-install.mjs";

const helper = packInstall as {
  packAndInstall: (names: string[]) => string;
  publishedPackages: () => string[];
};

/** Folder names under packages/ that are not private. */
export const publishedPackages = (): string[] => helper.publishedPackages();

/** Packs the packages and installs them into a new scratch folder outside the workspace; returns its path. */
export const packAndInstall = (names: string[]): string => helper.packAndInstall(names);
