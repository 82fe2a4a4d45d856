import { ConduitError, ConduitErrorCode, type ServerResponseFrame } from "@conduit/protocol";
import type { PendingRequestOptions } from "./pending-requests.js";
import type { ReverseChannel, ServerRequestInit } from "./reverse-channel.js";

/** response_id → ReverseChannel, process-wide. Lookups are one Map access. */
export class ReverseChannelRegistry {
  readonly #channels = new Map<string, ReverseChannel>();

  /** Maps `responseId` to `channel`, replacing any earlier mapping. */
  register(responseId: string, channel: ReverseChannel): void {
    this.#channels.set(responseId, channel);
  }

  /** Removes `responseId` only while it still maps to `channel`. */
  unregister(responseId: string, channel: ReverseChannel): boolean {
    if (this.#channels.get(responseId) !== channel) return false;
    return this.#channels.delete(responseId);
  }

  get(responseId: string): ReverseChannel | undefined {
    return this.#channels.get(responseId);
  }

  has(responseId: string): boolean {
    return this.#channels.has(responseId);
  }

  get size(): number {
    return this.#channels.size;
  }
}

/**
 * Sends a server_request to whichever channel `responseId` maps to: -32001
 * when none does, otherwise as ReverseChannel.request.
 */
export function sendServerRequest(
  registry: ReverseChannelRegistry,
  responseId: string,
  init: ServerRequestInit,
  options?: PendingRequestOptions,
): Promise<ServerResponseFrame> {
  const channel = registry.get(responseId);
  if (!channel) {
    return Promise.reject(
      new ConduitError(ConduitErrorCode.NoReverseChannel, "no reverse channel for this response id"),
    );
  }
  return channel.request(init, options);
}
