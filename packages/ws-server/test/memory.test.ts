// Memory after socket churn, measured in a child `node --expose-gc` (the test
// runner's own heap would blur the figures): see fixtures/socket-churn.ts.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SOCKETS = 2000;
/**
 * The bound: heapUsed after 2000 sockets, less the baseline after a 300-socket
 * warm-up, both after forced GCs, stays under 2 MiB — about 1 KiB per socket,
 * while a socket retained after its close costs ~7 KiB (≈14 MiB for 2000).
 * Measured without a leak: +0.3 to +0.7 MiB, not growing with the count.
 */
const MAX_HEAP_GROWTH = 2 * 1024 * 1024;

const CHURN = fileURLToPath(new URL("./fixtures/socket-churn.ts", import.meta.url));
const TS_RESOLVE = fileURLToPath(new URL("./fixtures/ts-resolve.mjs", import.meta.url));

interface ChurnResult {
  sockets: number;
  baseline: number;
  after: number;
  delta: number;
  structures: Record<string, number>;
}

function runChurn(): Promise<ChurnResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--experimental-strip-types", "--no-warnings", "--import", TS_RESOLVE, CHURN],
      { env: { ...process.env, CHURN_SOCKETS: String(SOCKETS) }, timeout: 90_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`socket churn failed: ${err.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split("\n").at(-1) ?? "";
        resolve(JSON.parse(last) as ChurnResult);
      },
    );
  });
}

describe("memory after socket churn", () => {
  it(`${SOCKETS} attached sockets come and go: every structure is empty again and the heap grows < 2 MiB`, async () => {
    const result = await runChurn();
    expect(result.sockets).toBe(SOCKETS);
    expect(result.structures).toEqual({
      conduitSockets: 0,
      pending: 0,
      registeredIds: 0,
      subscribers: 0,
      subscriberKeys: 0,
      wsClients: 0,
      waiting: 0,
    });
    expect(result.delta, `heapUsed ${result.baseline} → ${result.after}`).toBeLessThan(MAX_HEAP_GROWTH);
  }, 120_000);
});
