import type { IncomingMessage, ServerResponse } from "node:http";
import { Header, type McpKind } from "@conduit/protocol";
import type { RouteContext } from "./options.js";

/** The agent and mcp one HTTP request addresses, after the route checked both. */
export interface RouteTarget {
  readonly responseId: string;
  readonly mcp: McpKind;
}

/**
 * One HTTP request the route accepted (Host, Origin, path, method, response id
 * and declared mcp checked), with what every step below needs to answer it.
 */
export interface RouteRequest {
  readonly ctx: RouteContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly target: RouteTarget;
}

/** The request's `Mcp-Session-Id`, when it carries one. */
export function sessionIdOf(request: RouteRequest): string | undefined {
  const value = request.req.headers[Header.McpSessionId];
  return typeof value === "string" ? value : undefined;
}
