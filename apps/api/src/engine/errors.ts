import { errorMessage } from "@conduit/protocol";

/** A failure inside one agent; it ends that agent with finish_reason "error" and this code. */
export class AgentError extends Error {
  override readonly name: string = "AgentError";

  constructor(
    readonly code: number | string,
    message: string,
  ) {
    super(message);
  }
}

export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const message = errorMessage(err);
  return new AgentError("internal", message);
}

/** An Error whose numeric `code` the ws-server answers a client_request with (notify, elicitation_response). */
export class ClientRequestError extends Error {
  override readonly name: string = "ClientRequestError";

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
