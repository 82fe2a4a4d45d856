// Heap figures and condition waits for the scale benches' server processes.
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";

const { gc } = globalThis;

/** heapUsed (and rss) after full collections; the process must run with --expose-gc. */
export function heapAfterGc() {
  if (typeof gc !== "function") throw new Error("start the server with --expose-gc");
  // Two passes: objects with finalizers or weak references need a second one to go.
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/**
 * Resolves once `condition()` holds, checking it every 20 ms (the counts it
 * reads have no event of their own); rejects after `timeoutMs`.
 */
export async function waitFor(condition, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}
