#!/usr/bin/env node
// The Node gate: when this Node is older than package.json#engines.node, prints one line saying which
// Node is needed and how to get it, and exits 1. Run by .pnpmfile.cjs before an install and imported
// first by the `start` and `test` scripts, so it is written for any Node that runs ES modules: no newer
// syntax, no `node:` imports.
import { readFileSync } from "fs";

const manifestUrl = new URL("../../package.json", import.meta.url);
const wanted = JSON.parse(readFileSync(manifestUrl, "utf8")).engines.node;
const minimum = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(wanted);
if (!minimum) {
  process.stderr.write('conduit: package.json engines.node must read ">=MAJOR.MINOR.PATCH", not "' + wanted + '"\n');
  process.exit(1);
}

function atLeast(version, floor) {
  for (let i = 0; i < 3; i += 1) {
    const have = Number(version[i] || 0);
    const need = Number(floor[i] || 0);
    if (have !== need) return have > need;
  }
  return true;
}

const current = process.versions.node.split(".");
if (!atLeast(current, minimum.slice(1))) {
  const major = minimum[1];
  const message = [
    "conduit needs Node " + wanted + " (package.json engines) but this is Node " + process.version,
    " (" + process.execPath + "): install it with `nvm install " + major + "`, or without nvm with",
    " `npm install --prefix ~/.cache/conduit-node node@" + major + "` and put",
    " ~/.cache/conduit-node/node_modules/node/bin first on PATH, then run the command again.",
  ];
  process.stderr.write(message.join("") + "\n");
  process.exit(1);
}
