#!/usr/bin/env node
import { main } from "./cli/program.js";

main(process.argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    process.stderr.write(
      `conduit: error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    exitAfterFlush(1);
  },
);

/** stdin may still be open for notify lines, so the process is ended explicitly once stdout is drained. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.exit(code));
}
