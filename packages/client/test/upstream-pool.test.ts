import { OBJECTIVEAI_MCP } from "@conduit/protocol";
import { expect, test } from "vitest";
import { UpstreamConnection } from "../src/upstream/connection.js";
import { UpstreamPool } from "../src/upstream/pool.js";
import { fixtureSpec } from "./helpers/processes.js";

/** A connection that is never started: no process is spawned. */
function unstarted(): UpstreamConnection {
  return new UpstreamConnection({
    mcp: OBJECTIVEAI_MCP,
    spec: fixtureSpec,
    args: {},
    log: () => undefined,
    onNotification: () => undefined,
    onClose: () => undefined,
  });
}

test("both maps of the pool are bounded by its limit", () => {
  const pool = new UpstreamPool(2);
  const [a, b, c] = [unstarted(), unstarted(), unstarted()];
  expect(pool.track(a)).toBe("tracked");
  expect(pool.track(b)).toBe("tracked");
  expect(pool.track(c)).toBe("full");
  expect(pool.size).toBe(2);

  expect(pool.bind(a)).toEqual(expect.any(String));
  // One session per connection, and none for a connection the pool does not hold.
  expect(pool.bind(a)).toBeUndefined();
  expect(pool.bind(c)).toBeUndefined();
  expect(pool.sessionCount).toBe(1);

  pool.forget(a);
  expect(pool.size).toBe(1);
  expect(pool.sessionCount).toBe(0);
  expect(pool.track(c)).toBe("tracked");
  expect(pool.refusals).toBe(1);
});
