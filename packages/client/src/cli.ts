#!/usr/bin/env node
import { setMaxListeners } from "node:events";
import { main } from "./cli/program.js";

// The MCP SDK's HTTP transport passes one long-lived AbortSignal to every fetch, and undici drops its
// listener only when the request is garbage-collected: a few thousand calls to an HTTP upstream between
// major GCs would print false "possible memory leak" warnings to the user. The CLI is the process owner.
setMaxListeners(0);

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
