import { ConduitErrorCode } from "@conduit/protocol";
import { afterEach, expect, test } from "vitest";
import { fixtureSpec } from "./helpers/processes.js";
import { startHarness, stopAll } from "./helpers/session.js";

const MCP = "acme/tools/1.0.0/fixture";
/** MAX_LOGGED_TEXT (256) plus the cut marker, plus the fixed words of the longest log line below. */
const LONGEST_LINE = 256 * 2 + 200;

afterEach(stopAll);

test("a huge method from the server is cut in every log line; control characters cannot start a new line", async () => {
  const { conn, logs } = await startHarness({ mcps: { [MCP]: fixtureSpec } });
  const method = `tools/\n${"x".repeat(100_000)}`;
  const answer = await conn.request(MCP, method, {});
  expect(answer.error?.code).toBe(ConduitErrorCode.NoReverseChannel);
  const mentions = logs.filter((log) => log.message.includes("tools/"));
  expect(mentions.length).toBeGreaterThanOrEqual(2);
  for (const { message } of mentions) {
    expect(message.length).toBeLessThan(LONGEST_LINE);
    expect(message).not.toContain("\n");
    expect(message).toContain("tools/\\u000axxx");
    expect(message).toContain("… (cut from 100007 characters)");
  }
});
