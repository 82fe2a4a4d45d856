// Preloaded into the API by block.bench.mjs (`node --import`): measures the server's own event-loop
// delay. On SIGUSR2 it writes `loop-delay {"max":…,"p99":…}` (ms) on stderr and starts over.
import process from "node:process";
import { monitorEventLoopDelay } from "node:perf_hooks";

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on("SIGUSR2", () => {
  const ms = (ns) => Math.round((ns / 1e6) * 10) / 10;
  process.stderr.write(`loop-delay ${JSON.stringify({ max: ms(histogram.max), p99: ms(histogram.percentile(99)) })}\n`);
  histogram.reset();
});
