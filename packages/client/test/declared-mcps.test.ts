import { ConduitErrorCode } from "@conduit/protocol";
import { afterEach, expect, test } from "vitest";
import { AGENT_INITIALIZE } from "./helpers/fake-api.js";
import { FIXTURE_SERVER, childPids, fixtureSpec } from "./helpers/processes.js";
import { startHarness, stopAll } from "./helpers/session.js";

const DECLARED = "acme/tools/1.0.0/fixture";
const UNDECLARED = "acme/other/1.0.0/fixture";
const NO_UPSTREAM = "acme/nowhere/1.0.0/x";

afterEach(stopAll);

function bodyDeclaring(mcps: unknown, field: "mcps" | "none" = "mcps"): Record<string, unknown> {
  const body: Record<string, unknown> = { agent: { upstream: "mock", turns: [] } };
  if (field === "mcps") body.client_objectiveai_mcp = { mcps, arguments: {} };
  return body;
}

function refusal(mcp: string) {
  return { code: ConduitErrorCode.NoReverseChannel, message: `mcp ${mcp} is not declared by this request` };
}

const initializeParams = { arguments: {}, initialize: AGENT_INITIALIZE };

test("a server_request for an mcp the body did not declare is refused with -32001; nothing is spawned", async () => {
  const { conn } = await startHarness({
    body: bodyDeclaring([DECLARED]),
    mcps: { [DECLARED]: fixtureSpec, [UNDECLARED]: fixtureSpec },
  });
  expect((await conn.request(UNDECLARED, "initialize", initializeParams)).error).toEqual(refusal(UNDECLARED));
  expect(childPids(FIXTURE_SERVER)).toEqual([]);

  const { sessionId } = await conn.initialize(DECLARED);
  expect(childPids(FIXTURE_SERVER)).toHaveLength(1);
  // Every method is refused, whatever session id it names.
  for (const method of ["tools/list", "session/terminate", "notifications/initialized", "no/such-method"]) {
    expect((await conn.call(UNDECLARED, sessionId, method, {})).error).toEqual(refusal(UNDECLARED));
  }
  expect((await conn.call(DECLARED, sessionId, "tools/list", {})).error).toBeUndefined();
  expect(childPids(FIXTURE_SERVER)).toHaveLength(1);
  expect(conn.invalidFrames).toEqual([]);
});

test.each([
  ["no client_objectiveai_mcp", bodyDeclaring(undefined, "none")],
  ["mcps is not an array", bodyDeclaring(DECLARED)],
  ["mcps holds a non-string", bodyDeclaring([DECLARED, 7])],
])("%s: nothing is declared, so nothing is served", async (_name, body) => {
  const { conn, logs } = await startHarness({ body, mcps: { [DECLARED]: fixtureSpec } });
  expect((await conn.request(DECLARED, "initialize", initializeParams)).error).toEqual(refusal(DECLARED));
  expect(childPids(FIXTURE_SERVER)).toEqual([]);
  expect(logs.filter((log) => log.level === "warn").map((log) => log.message)).toEqual([
    `mcp ${DECLARED} has an upstream configured but is not declared by the request body (client_objectiveai_mcp.mcps): it will not be served`,
  ]);
});

test("the mcp in the refusal message is cut at 256 characters", async () => {
  const long = ["a", "b", "c", "d"].map((letter) => letter.repeat(128)).join("/");
  const { conn } = await startHarness({ body: bodyDeclaring([DECLARED]), mcps: { [DECLARED]: fixtureSpec } });
  const answer = await conn.request(long, "initialize", initializeParams);
  expect(answer.error?.code).toBe(ConduitErrorCode.NoReverseChannel);
  expect(answer.error?.message).toBe(
    `mcp ${long.slice(0, 256)}… (cut from ${long.length} characters) is not declared by this request`,
  );
});

test("attach() warns once about each undeclared upstream and each declared mcp without one", async () => {
  const { logs } = await startHarness({
    body: bodyDeclaring([DECLARED, NO_UPSTREAM, NO_UPSTREAM]),
    mcps: { [DECLARED]: fixtureSpec, [UNDECLARED]: fixtureSpec },
  });
  expect(logs.filter((log) => log.level === "warn").map((log) => log.message)).toEqual([
    `mcp ${UNDECLARED} has an upstream configured but is not declared by the request body (client_objectiveai_mcp.mcps): it will not be served`,
    `mcp ${NO_UPSTREAM} is declared by the request body but has no upstream configured: its initialize will fail with -32004`,
  ]);
});
