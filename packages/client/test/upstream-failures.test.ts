// How the CLI words an upstream failure that carries a stdio child's stderr tail or stdout note.
import { expect, test } from "vitest";
import { describeUpstreamFailure, type UpstreamFailure } from "../src/cli/upstream-failures.js";
import type { UpstreamSpec } from "../src/types.js";

const SPEC: UpstreamSpec = { kind: "stdio", command: "node", args: ["server.js"] };
/** A stderr line as StderrTail keeps it: already cut by forLog. */
const LONG_LINE = `${"x".repeat(256)}… (cut from 2000 characters)`;

function failure(message: string): UpstreamFailure {
  return { type: "upstream_failed", mcp: "fs", method: "initialize", phase: "start", message };
}

const CRASHED = failure(
  "upstream fs closed before answering initialize: the process exited with code 1; " +
    `its stderr ended with: ${LONG_LINE} | Error: Cannot find module '/x/server.js'`,
);

test("without stderr lines shown (--quiet), the whole tail is quoted, past the 256-character cut of the rest", () => {
  const line = describeUpstreamFailure(CRASHED, SPEC, { stderrShown: false });
  expect(line).toBe(
    'upstream "fs" could not start: closed before answering initialize: the process exited with code 1; ' +
      `its stderr ended with: ${LONG_LINE} | Error: Cannot find module '/x/server.js'`,
  );
});

test("a tail is quoted on one line whatever it holds", () => {
  const line = describeUpstreamFailure(
    failure("upstream fs closed before answering initialize: the process exited; its stderr ended with: a\nb"),
    SPEC,
  );
  expect(line).toBe(
    'upstream "fs" could not start: closed before answering initialize: the process exited; its stderr ended with: a\\u000ab',
  );
});

test("with stderr lines shown, the failure points at them instead of quoting them again", () => {
  expect(describeUpstreamFailure(CRASHED, SPEC, { stderrShown: true })).toBe(
    'upstream "fs" could not start: closed before answering initialize: the process exited with code 1; its stderr is shown above',
  );
});

test("a timeout after non-JSON on stdout keeps the note, points at the warning, and drops the generic --verbose hint", () => {
  const note =
    "it printed 2 lines on stdout that are not JSON-RPC (MCP stdio servers must print only JSON-RPC on stdout; log to stderr)";
  expect(describeUpstreamFailure(failure(`upstream fs did not answer initialize within 500 ms; ${note}`), SPEC)).toBe(
    'upstream "fs" could not start: did not answer initialize within 500 ms; ' +
      "it printed 2 lines on stdout that are not JSON-RPC (see the warning above)",
  );
  expect(describeUpstreamFailure(failure("upstream fs did not answer initialize within 500 ms"), SPEC)).toBe(
    'upstream "fs" could not start: did not answer initialize within 500 ms; does "node" speak MCP on stdio? (--verbose shows what it printed)',
  );
});
