import { forLog } from "../log-text.js";
import type { AttachOutcome, ConnectFailure } from "../types.js";

/** The path the Conduit API serves its WebSocket on. */
export const API_PATH = "/agent/completions";

export interface OutcomeContext {
  /** The ws(s):// URL that was dialled. */
  url: URL;
  /** An Authorization header was sent (from --api-key, CONDUIT_API_KEY, --header or the config file). */
  sentKey: boolean;
  connectTimeoutMs: number;
}

/** One line (without the `conduit: error:` prefix) that says why the stream did not finish, with a hint. */
export function describeFailedOutcome(
  outcome: Exclude<AttachOutcome, { kind: "finished" }>,
  context: OutcomeContext,
): string {
  if (outcome.kind === "error_frame") {
    return `the server rejected the request: ${outcome.error.code} ${forLog(outcome.error.message)} (close ${outcome.code})`;
  }
  if (outcome.failure) return describeConnectFailure(outcome.failure, context);
  return `the stream ended abnormally (close ${outcome.code}): ${forLog(outcome.reason)}`;
}

function describeConnectFailure(failure: ConnectFailure, context: OutcomeContext): string {
  const target = `${context.url.origin}${context.url.pathname}`;
  switch (failure.kind) {
    case "timeout":
      return (
        `no answer to the WebSocket upgrade from ${target} within ${failure.ms} ms: ` +
        `is a Conduit API listening there? (raise the limit with --connect-timeout <ms>)`
      );
    case "network":
      return describeNetworkFailure(failure, context.url);
    case "http":
      return describeRefusal(failure, context, target);
  }
}

function describeNetworkFailure(failure: Extract<ConnectFailure, { kind: "network" }>, url: URL): string {
  const target = `${url.origin}${url.pathname}`;
  const httpOrigin = `${url.protocol === "wss:" ? "https" : "http"}://${url.host}`;
  switch (failure.code) {
    case "ECONNREFUSED":
      return `cannot connect to ${target}: connection refused (ECONNREFUSED): is the API running at ${httpOrigin}?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot connect to ${target}: host ${forLog(url.hostname)} not found (${failure.code})`;
    default:
      return `cannot connect to ${target}: ${forLog(failure.message)}`;
  }
}

function describeRefusal(
  failure: Extract<ConnectFailure, { kind: "http" }>,
  context: OutcomeContext,
  target: string,
): string {
  const status = `HTTP ${failure.status}${failure.statusText ? ` ${forLog(failure.statusText)}` : ""}`;
  const said = failure.message ? `: ${forLog(failure.message)}` : "";
  const base = `the server refused the WebSocket upgrade at ${target} with ${status}${said}`;
  if (failure.status === 401) {
    const key = context.sentKey ? "the key sent was not accepted" : "no key was sent";
    return `${base}; ${key}: pass the API key with --api-key <key> or the CONDUIT_API_KEY environment variable`;
  }
  if (failure.status === 404) {
    const suggestion = new URL(API_PATH, context.url);
    const tried = context.url.pathname === API_PATH ? " (this path is right: is this a Conduit API?)" : "";
    return `${base}; the Conduit API serves the WebSocket at ${API_PATH}, e.g. ${suggestion.href}${tried}`;
  }
  return base;
}
