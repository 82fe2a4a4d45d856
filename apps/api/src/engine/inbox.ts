/** Notifications an agent may hold undelivered; past it a notify is refused (429) rather than kept. */
export const MAX_QUEUED_NOTIFICATIONS = 256;

/**
 * One agent's queue of delivered notifications. `wait` resolves as soon as a
 * message is queued (true), on timeout or abort (false).
 *
 * `retainedBytes` counts the UTF-8 bytes of every message ever pushed: a
 * delivered message stays in the agent's conversation for the agent's life,
 * so draining does not give its bytes back.
 */
export class Inbox {
  readonly #messages: string[] = [];
  #retainedBytes = 0;
  #wake: (() => void) | undefined;
  #closed = false;

  get size(): number {
    return this.#messages.length;
  }

  /** UTF-8 bytes of every message pushed so far, queued or delivered. */
  get retainedBytes(): number {
    return this.#retainedBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get full(): boolean {
    return this.#messages.length >= MAX_QUEUED_NOTIFICATIONS;
  }

  /** Queues a message of `bytes` UTF-8 bytes; false once the agent finished. Check `full` and the budget first. */
  push(content: string, bytes = Buffer.byteLength(content, "utf8")): boolean {
    if (this.#closed) return false;
    this.#messages.push(content);
    this.#retainedBytes += bytes;
    this.#wake?.();
    return true;
  }

  /** Takes every queued message, oldest first. */
  drain(): string[] {
    return this.#messages.splice(0, this.#messages.length);
  }

  wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.#messages.length > 0) return Promise.resolve(true);
    if (signal.aborted || this.#closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#wake = undefined;
        resolve(value);
      };
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => done(true);
    });
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
