// Preloaded into the API by the soak (`node --expose-gc --require …`): SIGUSR2 runs a full GC, so
// the next /metrics scrape reads the live heap rather than a point on V8's sawtooth.
"use strict";
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc === "function") globalThis.gc();
});
