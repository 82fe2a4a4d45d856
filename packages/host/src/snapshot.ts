import { shortId } from "@conduit/protocol";
import type { ConduitSession } from "./session.js";
import type { TrafficSnapshot } from "./traffic.js";

/** One live WebSocket in `snapshot()`. */
export interface SessionSnapshot {
  id: string;
  remoteAddress: string | null;
  subprotocol: string;
  /** ISO time of the upgrade. */
  connectedAt: string;
  connectedMs: number;
  /** The registered response ids, shortened (the full id routes MCP traffic: it is never listed). */
  agents: string[];
  declaredMcps: string[];
  /** MCP requests sent down the socket and not answered yet. */
  inFlight: number;
}

export interface HostSnapshot {
  /** ISO time the snapshot was taken. */
  now: string;
  startedAt: string;
  uptimeMs: number;
  /** The loopback MCP listener's URL, or null before `listenMcp()`. */
  mcpUrl: string | null;
  totals: {
    sockets: number;
    agents: number;
    inFlight: number;
    sseSubscribers: number;
  };
  sockets: SessionSnapshot[];
  /** Forwarded MCP requests by mcp, method and outcome over the traffic window. */
  traffic: TrafficSnapshot;
}

export function sessionSnapshot(session: ConduitSession, now: number): SessionSnapshot {
  return {
    id: session.id,
    remoteAddress: session.remoteAddress ?? null,
    subprotocol: session.subprotocol,
    connectedAt: session.connectedAt.toISOString(),
    connectedMs: Math.max(0, now - session.connectedAt.getTime()),
    agents: [...session.responseIds].map(shortId),
    declaredMcps: [...session.declaredMcps],
    inFlight: session.inFlight,
  };
}
