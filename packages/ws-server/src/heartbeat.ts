import { performance } from "node:perf_hooks";

export interface HeartbeatOptions {
  /** Ping period in ms; 0 sends no pings. */
  intervalMs: number;
  /** Silence (no pong, no message) in ms after which `onIdle` runs; 0 never. */
  idleTimeoutMs: number;
  ping(): void;
  onIdle(): void;
}

/**
 * Pings on a fixed period and watches for life. Activity only stamps a time;
 * the idle timer re-arms itself for the remaining silence when it fires, so a
 * busy socket costs no timer work per message.
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #lastSeen = performance.now();
  #pingTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #confirm: NodeJS.Immediate | undefined;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    if (options.intervalMs > 0) {
      this.#pingTimer = setInterval(() => options.ping(), options.intervalMs);
      this.#pingTimer.unref();
    }
    if (options.idleTimeoutMs > 0) this.#armIdle(options.idleTimeoutMs);
  }

  /** Records a sign of life (a pong or any message). */
  touch(): void {
    this.#lastSeen = performance.now();
  }

  stop(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#idleTimer);
    if (this.#confirm !== undefined) clearImmediate(this.#confirm);
    this.#pingTimer = undefined;
    this.#idleTimer = undefined;
    this.#confirm = undefined;
  }

  #armIdle(delayMs: number): void {
    this.#idleTimer = setTimeout(() => this.#checkIdle(), delayMs);
    this.#idleTimer.unref();
  }

  #checkIdle(): void {
    const remaining = this.#remaining();
    if (remaining > 0) {
      this.#armIdle(Math.max(1, Math.ceil(remaining)));
      return;
    }
    // Timers run before I/O in a loop turn: after a stalled loop a pong may be
    // waiting unread. setImmediate runs after the poll phase, so look again there.
    this.#idleTimer = undefined;
    this.#confirm = setImmediate(() => {
      this.#confirm = undefined;
      const left = this.#remaining();
      if (left > 0) {
        this.#armIdle(Math.max(1, Math.ceil(left)));
        return;
      }
      this.stop();
      this.#options.onIdle();
    });
  }

  #remaining(): number {
    return this.#options.idleTimeoutMs - (performance.now() - this.#lastSeen);
  }
}
