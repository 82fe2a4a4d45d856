import { ConduitErrorCode } from "@conduit/protocol";
import { afterEach, expect, test } from "vitest";
import { AGENT_INITIALIZE } from "./helpers/fake-api.js";
import { FIXTURE_SERVER, childPids, fixtureSpec, isAlive } from "./helpers/processes.js";
import { startHarness, stopAll } from "./helpers/session.js";

const MCP = "acme/tools/1.0.0/fixture";

afterEach(stopAll);

function limitError(limit: number) {
  return {
    code: ConduitErrorCode.TooManyPending,
    message: `upstream limit reached: this attach session runs at most ${limit} upstream connections (maxUpstreams)`,
  };
}

function pidOf(answer: { result?: unknown }): number {
  const text = (answer.result as { content: { text: string }[] }).content[0]?.text ?? "{}";
  return (JSON.parse(text) as { pid: number }).pid;
}

test("maxUpstreams initializes run at once; one more is refused with -32005 and spawns nothing", async () => {
  const limit = 3;
  const { conn, logs } = await startHarness({ mcps: { [MCP]: fixtureSpec }, maxUpstreams: limit });
  // Sent together: upstreams that are still starting count against the limit too.
  const answers = await Promise.all(
    Array.from({ length: limit + 1 }, () =>
      conn.request(MCP, "initialize", { arguments: {}, initialize: AGENT_INITIALIZE }),
    ),
  );
  expect(answers.slice(0, limit).map((answer) => answer.error)).toEqual([undefined, undefined, undefined]);
  expect(answers[limit]?.error).toEqual(limitError(limit));
  expect(childPids(FIXTURE_SERVER)).toHaveLength(limit);
  expect(logs.filter((log) => log.message.endsWith(" started"))).toHaveLength(limit);
  // The first refusal is worth a warning; the user may want a higher limit.
  expect(logs.filter((log) => log.level === "warn" && log.message.includes("upstream limit"))).toHaveLength(1);
});

test("session/terminate and an upstream that died each free their slot", async () => {
  const { conn } = await startHarness({ mcps: { [MCP]: fixtureSpec }, maxUpstreams: 2 });
  const first = await conn.initialize(MCP);
  const second = await conn.initialize(MCP);
  const firstPid = pidOf(await conn.call(MCP, first.sessionId, "tools/call", { name: "argv", arguments: {} }));
  expect((await conn.request(MCP, "initialize", { arguments: {}, initialize: AGENT_INITIALIZE })).error).toEqual(
    limitError(2),
  );

  expect(await conn.call(MCP, first.sessionId, "session/terminate")).toEqual({ result: {} });
  expect(isAlive(firstPid)).toBe(false);
  const third = await conn.initialize(MCP);
  expect(childPids(FIXTURE_SERVER)).toHaveLength(2);

  const died = await conn.call(MCP, second.sessionId, "tools/call", { name: "die", arguments: {} });
  expect(died.error?.code).toBe(ConduitErrorCode.UpstreamFailed);
  await conn.initialize(MCP);
  expect(childPids(FIXTURE_SERVER)).toHaveLength(2);
  expect((await conn.request(MCP, "initialize", { arguments: {}, initialize: AGENT_INITIALIZE })).error).toEqual(
    limitError(2),
  );
  expect((await conn.call(MCP, third.sessionId, "tools/list", {})).error).toBeUndefined();
});
