import type { ServerResponse } from "node:http";
import { sendJson } from "../http.js";

/** 200 {"status":"ok"}; 503 {"status":"shutting_down"} once shutdown began, so a balancer drains us. */
export function handleHealth(res: ServerResponse, shuttingDown: boolean): void {
  if (shuttingDown) sendJson(res, 503, { status: "shutting_down" });
  else sendJson(res, 200, { status: "ok" });
}
