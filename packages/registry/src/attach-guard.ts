import { RegistrationLimitError } from "./registration-limit-error.js";
import type { ReverseChannel } from "./reverse-channel.js";
import type { ReverseChannelRegistry } from "./reverse-channel-registry.js";

/** What the stream side holds to register its agents' response ids on the socket's channel. */
export interface ReverseAttachHandle {
  readonly channel: ReverseChannel;
  readonly released: boolean;
  /**
   * Registers `responseId` on this socket's channel. Returns false (and does
   * nothing) once the guard is released; throws RegistrationLimitError past
   * the per-socket limit.
   */
  register(responseId: string): boolean;
}

export interface ReverseAttachGuardOptions {
  /** Registered ids per socket (SPEC §10). Default 1024. */
  maxIds?: number;
}

export const DEFAULT_MAX_IDS_PER_SOCKET = 1024;
/** What a released guard holds: never added to (register returns first), so one for all. */
const NO_IDS = new Set<string>();

/**
 * Owns one socket's registrations. An id is owned while this guard registered
 * it and the registry still maps it to this guard's channel (another socket
 * may take an id over). `release()` removes the owned ids, returns exactly
 * those, and is idempotent.
 */
export class ReverseAttachGuard implements Disposable {
  readonly handle: ReverseAttachHandle;
  readonly maxIds: number;
  readonly #registry: ReverseChannelRegistry;
  readonly #channel: ReverseChannel;
  #ids = new Set<string>();
  #released = false;

  constructor(registry: ReverseChannelRegistry, channel: ReverseChannel, options: ReverseAttachGuardOptions = {}) {
    this.#registry = registry;
    this.#channel = channel;
    this.maxIds = options.maxIds ?? DEFAULT_MAX_IDS_PER_SOCKET;
    this.handle = new GuardHandle(this);
  }

  get channel(): ReverseChannel {
    return this.#channel;
  }

  get released(): boolean {
    return this.#released;
  }

  /** The ids this guard registered and has not released. */
  get ids(): ReadonlySet<string> {
    return this.#ids;
  }

  register(responseId: string): boolean {
    if (this.#released) return false;
    if (!this.#ids.has(responseId) && this.#ids.size >= this.maxIds) throw new RegistrationLimitError(this.maxIds);
    this.#ids.add(responseId);
    this.#registry.register(responseId, this.#channel);
    return true;
  }

  /** Whether `responseId` is registered by this guard and still routes to its channel. */
  owns(responseId: string): boolean {
    return this.#ids.has(responseId) && this.#registry.get(responseId) === this.#channel;
  }

  /** The ids this guard owns now (see `owns`), in registration order. */
  *ownedIds(): IterableIterator<string> {
    for (const id of this.#ids) if (this.#registry.get(id) === this.#channel) yield id;
  }

  /**
   * Unregisters every id this guard registered and returns exactly the ones it
   * removed: an id another socket has taken over since stays registered there
   * and is not returned. A second call returns [].
   */
  release(): string[] {
    if (this.#released) return [];
    this.#released = true;
    const removed: string[] = [];
    for (const id of this.#ids) if (this.#registry.unregister(id, this.#channel)) removed.push(id);
    // Not clear(): that allocates a fresh table per socket end, garbage that a burst of closes pays for in GC.
    this.#ids = NO_IDS;
    return removed;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * The guard's handle. It may outlive the guard (agents still running); after
 * release it is inert. A class rather than an object literal with a getter:
 * one per attached socket, so it should be a small fast-mode object with its
 * methods on the prototype.
 */
class GuardHandle implements ReverseAttachHandle {
  readonly #guard: ReverseAttachGuard;

  constructor(guard: ReverseAttachGuard) {
    this.#guard = guard;
  }

  get channel(): ReverseChannel {
    return this.#guard.channel;
  }

  get released(): boolean {
    return this.#guard.released;
  }

  register(responseId: string): boolean {
    return this.#guard.register(responseId);
  }
}
