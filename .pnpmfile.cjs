// pnpm loads this file before it resolves or links anything: an install on a Node older than
// package.json#engines stops here with the Node gate's one line (see tooling/scripts/check-node.mjs).
const { spawnSync } = require("child_process");
const { join } = require("path");

const gate = spawnSync(process.execPath, [join(__dirname, "tooling", "scripts", "check-node.mjs")], {
  stdio: "inherit",
});
if (gate.status !== 0) process.exit(gate.status || 1);

module.exports = { hooks: {} };
