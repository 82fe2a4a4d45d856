import { setImmediate as nextLoopTurn } from "node:timers/promises";
import type { Agent } from "@conduit/protocol/body";
import { contentSlices, isBigContent } from "./content-slices.js";
import { deliverNotifications, mintToolCallId, runToolCall, type AgentContext } from "./context.js";
import type { UpstreamResult } from "./upstream.js";

type MockAgent = Extract<Agent, { upstream: "mock" }>;

/**
 * The scripted upstream: runs the turns in order (at most max_turns of them).
 * Before each turn, and after the last, queued notifications are delivered.
 */
export async function runMockUpstream(ctx: AgentContext, agent: MockAgent): Promise<UpstreamResult> {
  const limit = ctx.body.max_turns;
  for (const [position, turn] of agent.turns.entries()) {
    if (position >= limit) return { finishReason: "max_turns" };
    ctx.signal.throwIfAborted();
    await deliverNotifications(ctx);
    if ("tool_calls" in turn) {
      for (const call of turn.tool_calls) {
        ctx.signal.throwIfAborted();
        await runToolCall(ctx, { id: mintToolCallId(), mcp: call.mcp, name: call.name, arguments: call.arguments });
      }
    } else if ("content" in turn) {
      // Sliced lazily and each emit awaited: the transport's backpressure paces even a huge turn.
      // An emit that resolves at once (the socket took the bytes, or a unary aggregate) would keep
      // a big turn in microtasks; one event-loop turn per slice lets other sockets' I/O run.
      const big = isBigContent(turn.content);
      for (const piece of contentSlices(turn.content)) {
        ctx.signal.throwIfAborted();
        await ctx.emit(ctx.chunks.delta(piece));
        if (big) await nextLoopTurn();
      }
      ctx.conversation.push({ role: "assistant", content: turn.content });
    } else {
      await ctx.inbox.wait(turn.await_notification, ctx.signal);
    }
  }
  ctx.signal.throwIfAborted();
  await deliverNotifications(ctx);
  return { finishReason: "stop" };
}
