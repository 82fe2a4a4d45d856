import { ConduitError } from "@conduit/protocol";
import { outcomeOfCode } from "./conduit-errors.js";
import type { ForwardResult } from "./forward.js";
import type { ForwardOutcome } from "./options.js";
import type { RouteRequest } from "./route-request.js";

/** Reports how one forwarded message ended to `observer.forwarded`. */
export type ReportForwarded = (outcome: ForwardOutcome) => void;

const NOBODY_LISTENS: ReportForwarded = () => undefined;

/**
 * Starts the clock for one forwarded message (only when someone observes: the
 * clock is not free); the returned function reports its outcome.
 */
export function startReport(request: RouteRequest, method: string): ReportForwarded {
  const forwarded = request.ctx.observer?.forwarded;
  if (forwarded === undefined) return NOBODY_LISTENS;
  const started = performance.now();
  const { mcp, responseId } = request.target;
  return (outcome) => {
    try {
      forwarded({ method, mcp, outcome, durationMs: performance.now() - started, responseId });
    } catch {
      // An observer is for metrics and logs; its failure must not fail the request.
    }
  };
}

export function outcomeOf(result: ForwardResult): ForwardOutcome {
  if (result instanceof ConduitError) return outcomeOfCode(result.code);
  return "error" in result ? "upstream_error" : "ok";
}
