import type { ServerResponse } from "node:http";
import type { HostSnapshot } from "@conduit/host";
import { sendJson } from "../http.js";

/** GET /admin/status: the host's snapshot (live sockets, their agents, declared mcps, in-flight and recent MCP traffic). */
export function handleAdminStatus(res: ServerResponse, snapshot: () => HostSnapshot, shuttingDown: boolean): void {
  sendJson(res, 200, { status: shuttingDown ? "shutting_down" : "ok", ...snapshot() });
}
