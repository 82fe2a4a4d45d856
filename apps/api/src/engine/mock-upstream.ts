import type { Agent } from "@conduit/protocol";
import { deliverNotifications, mintToolCallId, runToolCall, type AgentContext } from "./context.js";
import type { UpstreamResult } from "./upstream.js";

type MockAgent = Extract<Agent, { upstream: "mock" }>;

/** Splits text into up to `pieces` deltas on code-point boundaries. */
export function splitContent(text: string, pieces = 3): string[] {
  const points = Array.from(text);
  if (points.length === 0) return [""];
  const size = Math.ceil(points.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(""));
  return out;
}

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
      for (const piece of splitContent(turn.content)) await ctx.emit(ctx.chunks.delta(piece));
      ctx.conversation.push({ role: "assistant", content: turn.content });
    } else {
      await ctx.inbox.wait(turn.await_notification, ctx.signal);
    }
  }
  ctx.signal.throwIfAborted();
  await deliverNotifications(ctx);
  return { finishReason: "stop" };
}
