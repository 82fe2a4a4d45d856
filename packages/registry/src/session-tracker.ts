/**
 * Remembers every response id seen in one socket's chunks, so an
 * agent_completion_notify can only reach agents of its own stream.
 */
export class SessionTracker {
  readonly #seen = new Set<string>();

  /** Records the chunk's agent id. */
  observe(chunk: { id: string }): void {
    this.#seen.add(chunk.id);
  }

  has(responseId: string): boolean {
    return this.#seen.has(responseId);
  }

  get size(): number {
    return this.#seen.size;
  }
}
