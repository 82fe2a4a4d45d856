import { RegistrationLimitError, type ConduitSession } from "@conduit/host";
import { errorMessage, CloseCode, ErrorFrameCode, type Chunk } from "@conduit/protocol";
import type { RequestBody } from "@conduit/protocol/body";
import type { EngineDeps } from "../engine/agent.js";
import { startSwarm, swarmSummary, type Swarm } from "../engine/swarm.js";
import type { Logger } from "../logger.js";
import { validateRequestBody } from "./validate-body.js";

export interface CompletionsWsDeps {
  engine: EngineDeps;
  maxSwarm: number;
  /** Aborted when shutdown begins: agents finish "cancelled" and host.close ends the socket with 1001. */
  shutdownSignal: AbortSignal;
  logger: Logger;
}

function startOn(socket: ConduitSession, deps: CompletionsWsDeps, body: RequestBody): Swarm {
  const emit = async (chunk: Chunk): Promise<void> => {
    try {
      await socket.send(chunk);
    } catch (err) {
      deps.logger.error({ err: errorMessage(err) }, "chunk could not be sent");
    }
  };
  return startSwarm(deps.engine, {
    body,
    emit,
    signal: AbortSignal.any([socket.signal, deps.shutdownSignal]),
    register: (id) => {
      socket.register(id);
    },
  });
}

/**
 * The WebSocket transport of /agent/completions: the first frame is the
 * body, every agent's id is registered on this socket's reverse channel, the
 * chunks stream as chunk frames and the socket closes 1000 once every agent
 * finished (1011 on an internal failure, 1008 past MAX_IDS_PER_SOCKET).
 */
export async function handleCompletionsSocket(socket: ConduitSession, deps: CompletionsWsDeps): Promise<void> {
  const read = await socket.readBody((json) => validateRequestBody(json, deps.maxSwarm));
  if (!read.ok) return;

  // The mcps the body declared are the only ones the loopback route serves for this socket's agents.
  socket.declare(read.value.client_objectiveai_mcp?.mcps ?? []);
  const started = Date.now();
  let swarm: Swarm;
  try {
    swarm = startOn(socket, deps, read.value);
  } catch (err) {
    if (err instanceof RegistrationLimitError) {
      await socket.fail(
        { code: ErrorFrameCode.LimitExceeded, message: `${err.message} (MAX_IDS_PER_SOCKET)` },
        CloseCode.Policy,
      );
    } else {
      deps.logger.error({ err: errorMessage(err) }, "swarm could not start");
      await socket.fail(
        { code: ErrorFrameCode.Internal, message: "the swarm could not start" },
        CloseCode.InternalError,
      );
    }
    return;
  }
  deps.logger.debug({ n: read.value.n, transport: "ws" }, "swarm started");
  try {
    const reasons = await swarm.done;
    deps.logger.info(swarmSummary("ws", read.value, reasons, started), "swarm finished");
  } catch (err) {
    deps.logger.error({ err: errorMessage(err) }, "swarm failed");
    await socket.fail(
      { code: ErrorFrameCode.Internal, message: "internal error while running the swarm" },
      CloseCode.InternalError,
    );
    return;
  }
  // During shutdown host.close closes with 1001; a 1000 here would tell the client the stream completed.
  if (deps.shutdownSignal.aborted) return;
  await socket.finish();
}
