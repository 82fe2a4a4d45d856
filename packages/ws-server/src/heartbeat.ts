import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";

export interface HeartbeatOptions {
  /** Ping period in ms; 0 sends no pings. */
  intervalMs: number;
  /** Time in ms without an answered ping after which `onIdle` runs; 0 never. */
  idleTimeoutMs: number;
  /** Sends one ping frame carrying `payload`. */
  ping(payload: Buffer): void;
  onIdle(): void;
}

const PING_PAYLOAD_BYTES = 8;
/** Bound on the pings remembered while unanswered (a pong can only answer one of these). */
const MAX_OUTSTANDING = 1024;

/**
 * Pings on a fixed period and ends a peer that stops answering. Each ping
 * carries fresh random bytes and only a pong echoing one of the pings still
 * unanswered counts as life (RFC 6455 §5.5.3): a peer that does not read
 * cannot know them, so no unsolicited pong, ping or message keeps it alive.
 *
 * An answer only stamps a time; the idle timer re-arms itself for the
 * remaining time when it fires, so a busy socket costs no timer work.
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  /** Unanswered ping payloads, oldest first. */
  #outstanding: Buffer[] = [];
  /** Enough to cover every ping sent within one idle timeout. */
  readonly #maxOutstanding: number;
  #lastAnswered = performance.now();
  #pingTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #confirm: NodeJS.Immediate | undefined;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#maxOutstanding =
      options.idleTimeoutMs > 0 && options.intervalMs > 0
        ? Math.min(MAX_OUTSTANDING, Math.ceil(options.idleTimeoutMs / options.intervalMs) + 2)
        : 2;
    if (options.intervalMs > 0) {
      this.#pingTimer = setInterval(() => this.#ping(), options.intervalMs);
      this.#pingTimer.unref();
    }
    if (options.idleTimeoutMs > 0) this.#armIdle(options.idleTimeoutMs);
  }

  /**
   * Takes a pong's payload; true when it answers a ping we sent (and so
   * counts as life). That ping and every older one are then settled.
   */
  pong(payload: Buffer): boolean {
    const index = this.#outstanding.findIndex((sent) => sent.equals(payload));
    if (index === -1) return false;
    this.#outstanding.splice(0, index + 1);
    this.#lastAnswered = performance.now();
    return true;
  }

  stop(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#idleTimer);
    if (this.#confirm !== undefined) clearImmediate(this.#confirm);
    this.#pingTimer = undefined;
    this.#idleTimer = undefined;
    this.#confirm = undefined;
    this.#outstanding = [];
  }

  #ping(): void {
    const payload = randomBytes(PING_PAYLOAD_BYTES);
    this.#outstanding.push(payload);
    if (this.#outstanding.length > this.#maxOutstanding) this.#outstanding.shift();
    this.#options.ping(payload);
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
    return this.#options.idleTimeoutMs - (performance.now() - this.#lastAnswered);
  }
}
