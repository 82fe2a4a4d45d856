import { attach, type AttachOptions, type AttachSession, type LogLevel } from "../../src/index.js";
import { FakeApi, type ApiConnection } from "./fake-api.js";

export interface Harness {
  api: FakeApi;
  session: AttachSession;
  conn: ApiConnection;
  logs: { level: LogLevel; message: string }[];
}

const open: Harness[] = [];

/** A request body that declares `mcps` in client_objectiveai_mcp (the mcps the client will serve). */
export function bodyDeclaring(mcps: readonly string[]): Record<string, unknown> {
  return { agent: { upstream: "mock", turns: [] }, client_objectiveai_mcp: { mcps, arguments: {} } };
}

/**
 * A FakeApi plus an attached session and its API-side connection. Stopped by `stopAll()`.
 * Unless `options.body` is given, the body declares every mcp of `options.mcps`.
 */
export async function startHarness(
  options: Partial<AttachOptions> = {},
  apiOptions: Parameters<typeof FakeApi.start>[0] = {},
): Promise<Harness> {
  const api = await FakeApi.start(apiOptions);
  const logs: Harness["logs"] = [];
  const session = attach({
    url: api.url,
    body: bodyDeclaring(Object.keys(options.mcps ?? {})),
    logger: (level, message) => logs.push({ level, message }),
    ...options,
  });
  const harness = { api, session, conn: undefined as unknown as ApiConnection, logs };
  open.push(harness);
  harness.conn = await api.nextConnection();
  return harness;
}

export async function stopAll(): Promise<void> {
  for (const harness of open.splice(0)) {
    await harness.session.close().catch(() => undefined);
    await harness.api.stop();
  }
}
