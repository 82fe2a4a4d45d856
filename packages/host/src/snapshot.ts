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
  /**
   * The registered response ids, shortened (the full id routes MCP traffic: it is never listed);
   * at most MAX_LISTED_AGENTS of them.
   */
  agents: string[];
  /** How many ids are registered (more than `agents` lists past MAX_LISTED_AGENTS). */
  agentCount: number;
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

/** Agents listed per socket: a socket may register up to maxIdsPerSocket ids, and the listing stays small. */
export const MAX_LISTED_AGENTS = 100;

export function sessionSnapshot(session: ConduitSession, now: number): SessionSnapshot {
  return {
    id: session.id,
    remoteAddress: session.remoteAddress ?? null,
    subprotocol: session.subprotocol,
    connectedAt: session.connectedAt.toISOString(),
    connectedMs: Math.max(0, now - session.connectedAt.getTime()),
    agents: [...session.responseIds].slice(0, MAX_LISTED_AGENTS).map(shortId),
    agentCount: session.responseIds.size,
    declaredMcps: [...session.declaredMcps],
    inFlight: session.inFlight,
  };
}
