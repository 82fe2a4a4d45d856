// What the benches' API side does with each attached socket: one agent, announced in a chunk.
import { mintResponseId } from "@conduit/protocol";

/**
 * Reads the body, declares its mcps (the route serves only those; `fallback` when it declares none),
 * registers one response id and announces it in a first chunk. The socket stays open.
 */
export async function announceOneAgent(session, fallback = []) {
  const body = await session.readBody((json) => ({ ok: true, value: json }));
  if (!body.ok) return;
  session.declare(body.value.client_objectiveai_mcp?.mcps ?? fallback);
  const id = mintResponseId();
  session.register(id);
  await session.send({ id, object: "agent.completion.chunk", index: 0, created: 0, delta: { content: "ready" } });
}
