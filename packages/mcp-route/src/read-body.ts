import type { IncomingMessage } from "node:http";

/** The body went past the limit; reading stopped. */
export const TOO_LARGE: unique symbol = Symbol("too large");
/** The client went away before the body ended. */
export const ABORTED: unique symbol = Symbol("aborted");

export type BodyResult = Buffer | typeof TOO_LARGE | typeof ABORTED;

/**
 * Reads the request body up to `limit` bytes. Past the limit it stops reading
 * at once (listeners removed, stream paused) and resolves TOO_LARGE, so the
 * rest is never buffered; the caller answers 413 and closes the connection.
 * Concatenates only when the body came in more than one chunk.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  // A host server that read the body first would leave us waiting for an 'end' that already came.
  if (req.readableEnded)
    return Promise.reject(new Error("the request body was already read before the MCP route got it"));
  return new Promise<BodyResult>((resolve) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;

    const finish = (result: BodyResult): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(TOO_LARGE);
        return;
      }
      if (first === undefined) first = chunk;
      else if (chunks === undefined) chunks = [first, chunk];
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (chunks !== undefined) finish(Buffer.concat(chunks, size));
      else finish(first ?? Buffer.alloc(0));
    };
    const onGone = (): void => finish(ABORTED);

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onGone);
  });
}
