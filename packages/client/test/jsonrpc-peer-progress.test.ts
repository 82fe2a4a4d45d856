import type { JsonRpcMessage } from "@conduit/protocol";
import { expect, test } from "vitest";
import { JsonRpcPeer, type UpstreamMessage } from "../src/upstream/jsonrpc-peer.js";
import type { UpstreamTransport } from "../src/upstream/transport.js";

/** An in-memory transport: the test plays the upstream by calling onmessage. */
class FakeUpstream implements UpstreamTransport {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly sent: JsonRpcMessage[] = [];
  async start(): Promise<void> {}
  async send(message: JsonRpcMessage): Promise<void> {
    this.sent.push(message);
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
  emit(message: unknown): void {
    this.onmessage?.(message as JsonRpcMessage);
  }
}

function progress(token: number, value: number): unknown {
  return { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: token, progress: value } };
}

// Found by `pnpm soak`: the late progress of a cancelled call reached another call's progress handler.
test("a progress notification of a request no longer in flight never reaches another request", async () => {
  const upstream = new FakeUpstream();
  const unrelated: UpstreamMessage[] = [];
  const peer = new JsonRpcPeer(upstream, {
    name: "fake",
    log: () => undefined,
    onNotification: () => undefined,
    onUnrelated: (message) => unrelated.push(message),
    onClose: () => undefined,
  });
  const seenByA: UpstreamMessage[] = [];
  const seenByB: UpstreamMessage[] = [];
  const a = peer.call("tools/call", { name: "slow", _meta: { progressToken: "agent-a" } }, 10_000, (m) =>
    seenByA.push(m),
  );
  a.answer.catch(() => undefined);
  const b = peer.call("tools/call", { name: "other", _meta: { progressToken: "agent-b" } }, 10_000, (m) =>
    seenByB.push(m),
  );

  // The agent cancels A; the upstream, not there yet, still reports progress on A's (upstream) token.
  expect(peer.cancel(a.id, "by the agent", 1_000)).toBe(true);
  upstream.emit(progress(a.id, 3));
  expect(seenByB).toEqual([]);
  // Not to the session either: its token is the upstream's id, which could equal one of the agent's own.
  expect(unrelated).toEqual([]);

  // B's own progress still reaches B, with B's token restored.
  upstream.emit(progress(b.id, 1));
  expect(seenByB).toEqual([
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "agent-b", progress: 1 } },
  ]);
  upstream.emit({ jsonrpc: "2.0", id: b.id, result: { content: [] } });
  await expect(b.answer).resolves.toEqual({ content: [] });
  expect(seenByA).toEqual([]);
});
