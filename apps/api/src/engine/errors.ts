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
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError("internal", message);
}
