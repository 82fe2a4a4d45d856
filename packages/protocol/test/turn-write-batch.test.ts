import { once } from "node:events";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TurnWriteBatch } from "../src/index.js";

/** A writable that records each system-call-sized batch it is handed. */
function recorder(): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      batches.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      batches.push(chunks.map(({ chunk }) => chunk as string));
      callback();
    },
  });
  return { stream, batches };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("TurnWriteBatch", () => {
  it("hands the writes of one turn to the stream as one batch, in order, once the turn is over", async () => {
    const { stream, batches } = recorder();
    const batch = new TurnWriteBatch(stream);
    for (const text of ["a", "b", "c"]) {
      batch.hold();
      stream.write(text);
    }
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([["a", "b", "c"]]);
    expect(stream.writableCorked).toBe(0);
  });

  it("starts a new batch in the next turn", async () => {
    const { stream, batches } = recorder();
    const batch = new TurnWriteBatch(stream);
    batch.hold();
    stream.write("first");
    await nextTurn();
    batch.hold();
    stream.write("second");
    batch.hold();
    stream.write("third");
    await nextTurn();
    expect(batches).toEqual([["first"], ["second", "third"]]);
  });

  it("lets end() write what is held, and the late release does nothing", async () => {
    const { stream, batches } = recorder();
    const batch = new TurnWriteBatch(stream);
    batch.hold();
    stream.write("held");
    stream.end("last");
    await once(stream, "finish");
    expect(batches.flat()).toEqual(["held", "last"]);
    await nextTurn();
    expect(stream.writableCorked).toBe(0);
  });

  it("keeps a cork the stream's own writer takes inside the turn balanced", async () => {
    const { stream, batches } = recorder();
    const batch = new TurnWriteBatch(stream);
    batch.hold();
    // What ws does for a frame: cork, header, payload, uncork.
    stream.cork();
    stream.write("header");
    stream.write("payload");
    stream.uncork();
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([["header", "payload"]]);
  });
});
