import type { ServerResponse } from "node:http";
import { sendError } from "../http.js";
import type { Metrics } from "../metrics.js";
import { errorMessage } from "@conduit/protocol";

/** Prometheus text exposition of this server's registry. */
export async function handleMetrics(res: ServerResponse, metrics: Metrics): Promise<void> {
  try {
    const text = await metrics.render();
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
    res.end(text);
  } catch (err) {
    sendError(res, 500, `metrics failed: ${errorMessage(err)}`);
  }
}
