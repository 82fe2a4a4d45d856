import type { IncomingMessage } from "node:http";

/** The body is above the limit (declared or counted); reading stopped. */
export const BODY_TOO_LARGE: unique symbol = Symbol("body too large");
/** The client went away before the body ended. */
export const BODY_ABORTED: unique symbol = Symbol("body aborted");

export type RequestBody = Buffer | typeof BODY_TOO_LARGE | typeof BODY_ABORTED;

/**
 * Reads a request body of at most `limit` bytes. A `Content-Length` above the
 * limit is refused before a byte is read; a body that grows past it (chunked)
 * stops being read at once (listeners removed, stream paused). Either way it
 * resolves BODY_TOO_LARGE and the rest is never buffered: the caller answers
 * 413 and closes the connection. Concatenates only when the body came in more
 * than one chunk. Rejects when the body was already read by someone else.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<RequestBody> {
  // A host server that read the body first would leave us waiting for an 'end' that already came.
  if (req.readableEnded) return Promise.reject(new Error("the request body was already read"));
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve(BODY_TOO_LARGE);
  return new Promise<RequestBody>((resolve) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;

    const finish = (result: RequestBody): void => {
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
        finish(BODY_TOO_LARGE);
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
    const onGone = (): void => finish(BODY_ABORTED);

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onGone);
  });
}
