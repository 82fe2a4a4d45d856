/** The part of a tty.WriteStream the status line needs. */
export interface StatusStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface StatusSnapshot {
  connected: boolean;
  agentsRunning: number;
  toolCallsInFlight: number;
}

export interface StatusLineOptions {
  /** Off: nothing is ever drawn (--no-status, or stderr is not a terminal). */
  enabled: boolean;
  /** What to show; read at every draw. */
  snapshot: () => StatusSnapshot;
  /** Redraws at most this often (default 250 ms: four times a second). */
  minRedrawMs?: number;
  /** The elapsed time is refreshed this often even when nothing happens (default 1000 ms). */
  tickMs?: number;
  now?: () => number;
}

/** Back to column 0 and clear the line. */
const ERASE = "\r\u001b[2K";

/**
 * A one-line status at the bottom of a terminal's stderr: connected, agents
 * running, tool calls in flight, elapsed. Redrawn in place when something
 * changes (throttled) and once a tick for the elapsed time. Every other line
 * of stderr or stdout goes through `print`/`beforeOutput`, which erase it
 * first, so it never ends up inside a log line or the output. Never drawn
 * when the stream is not a TTY.
 */
export class StatusLine {
  readonly #stream: StatusStream;
  readonly #options: StatusLineOptions;
  readonly #enabled: boolean;
  readonly #minRedrawMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #drawn = false;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #pending: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  /** A prompt without a line end is on screen (waiting for an answer): drawing would wipe it. */
  #midLine = false;
  #stopped = false;

  constructor(stream: StatusStream, options: StatusLineOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#enabled = options.enabled && stream.isTTY === true;
    this.#minRedrawMs = options.minRedrawMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    if (this.#enabled) {
      this.#ticker = setInterval(() => this.update(), options.tickMs ?? 1000);
      this.#ticker.unref();
    }
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Something changed: redraw now, or once the throttle allows. */
  update(): void {
    if (!this.#enabled || this.#stopped || this.#midLine) return;
    const wait = this.#lastDraw + this.#minRedrawMs - this.#now();
    if (wait <= 0) {
      this.#draw();
      return;
    }
    if (this.#pending) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.update();
    }, wait);
    this.#pending.unref();
  }

  /** Writes other stderr text (log lines, prompts): the status is erased first and redrawn after a full line. */
  print(text: string): void {
    this.#erase();
    this.#stream.write(text);
    if (!this.#enabled || text.length === 0) return;
    this.#midLine = !text.endsWith("\n");
    this.update();
  }

  /** Call before writing to stdout: on a shared terminal the output must not land on the status line. */
  beforeOutput(): void {
    if (!this.#drawn) return;
    this.#erase();
    this.update();
  }

  /** Clears the timers and erases the line. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#ticker);
    clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#erase();
  }

  /** The text shown, without control characters. */
  text(): string {
    const { connected, agentsRunning, toolCallsInFlight } = this.#options.snapshot();
    const parts = [
      connected ? "connected" : "connecting…",
      `${agentsRunning} ${agentsRunning === 1 ? "agent" : "agents"} running`,
      `${toolCallsInFlight} tool ${toolCallsInFlight === 1 ? "call" : "calls"} in flight`,
      formatElapsed(this.#now() - this.#started),
    ];
    return `conduit: ${parts.join(" · ")}`;
  }

  #draw(): void {
    this.#lastDraw = this.#now();
    const width = this.#stream.columns ?? 80;
    const text = this.text();
    // One column short of the width: a full line would wrap on some terminals and leave a line behind.
    const shown = width > 1 && text.length >= width ? `${text.slice(0, width - 2)}…` : text;
    this.#stream.write(`${ERASE}${shown}`);
    this.#drawn = true;
  }

  #erase(): void {
    if (!this.#drawn) return;
    this.#stream.write(ERASE);
    this.#drawn = false;
  }
}

/** `45s`, `3m05s`, `1h02m`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
