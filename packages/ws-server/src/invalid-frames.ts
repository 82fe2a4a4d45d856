import { performance } from "node:perf_hooks";
import type { Logger } from "@conduit/protocol";
import { clip } from "./logger.js";

/** One frame after the body that the receive loop could not use and dropped. */
export interface DroppedFrame {
  /** `binary`, `thrown`, or the decode error kind (`invalid_json`, `not_an_object`, `unknown_type`, `invalid_frame`). */
  kind: string;
  /** Why, possibly quoting the client's text (clipped before it is logged). */
  reason?: string;
  bytes?: number;
}

export interface InvalidFramesOptions {
  /** Invalid frames a socket may send in a burst, and on average per `windowMs`. */
  max: number;
  windowMs: number;
  logger: Logger;
  /** Runs once, on the first frame past the budget. */
  onExceeded(): void;
  /** Monotonic milliseconds; for tests. */
  now?: () => number;
}

/** Dropped frames logged one by one per socket; the rest are only counted (see `summary`). */
export const LOGGED_DROPS = 5;

/**
 * Per-socket accounting of invalid frames: a token bucket holding `max`
 * tokens, refilled at `max` per `windowMs`, one token per frame. The frame
 * that finds the bucket empty runs `onExceeded` (the socket closes 1008).
 * Only the first `LOGGED_DROPS` frames are logged each; `summary()` logs the
 * count of the others once, when the socket ends.
 */
export class InvalidFrames {
  readonly #options: InvalidFramesOptions;
  readonly #now: () => number;
  readonly #refillPerMs: number;
  #tokens: number;
  #refilledAt: number;
  #dropped = 0;
  #exceeded = false;

  constructor(options: InvalidFramesOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#refillPerMs = options.max / options.windowMs;
    this.#tokens = options.max;
    this.#refilledAt = this.#now();
  }

  /** Frames dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Counts (and maybe logs) one dropped frame; false once the budget is exceeded. */
  drop(frame: DroppedFrame): boolean {
    this.#dropped += 1;
    if (this.#dropped <= LOGGED_DROPS) {
      const reason = frame.reason === undefined ? {} : { reason: clip(frame.reason) };
      const bytes = frame.bytes === undefined ? {} : { bytes: frame.bytes };
      const more = this.#dropped === LOGGED_DROPS ? " (further drops on this socket are only counted)" : "";
      this.#options.logger.warn({ kind: frame.kind, ...reason, ...bytes }, `frame dropped${more}`);
    }
    if (this.#exceeded) return false;
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#exceeded = true;
    this.#options.logger.warn(
      { dropped: this.#dropped, max: this.#options.max, windowMs: this.#options.windowMs },
      "too many invalid frames, closing the socket",
    );
    this.#options.onExceeded();
    return false;
  }

  /** Logs how many drops went unlogged, if any; for when the socket ends. */
  summary(): void {
    if (this.#dropped <= LOGGED_DROPS) return;
    this.#options.logger.warn(
      { dropped: this.#dropped, unlogged: this.#dropped - LOGGED_DROPS },
      "frames dropped on this socket",
    );
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#refilledAt;
    this.#refilledAt = now;
    if (elapsed > 0) this.#tokens = Math.min(this.#options.max, this.#tokens + elapsed * this.#refillPerMs);
  }
}
