import { attach, type AttachOptions, type AttachSession, type LogLevel } from "../../src/index.js";
import { FakeApi, type ApiConnection } from "./fake-api.js";

export interface Harness {
  api: FakeApi;
  session: AttachSession;
  conn: ApiConnection;
  logs: { level: LogLevel; message: string }[];
}

const open: Harness[] = [];

/** A FakeApi plus an attached session and its API-side connection. Stopped by `stopAll()`. */
export async function startHarness(
  options: Partial<AttachOptions> = {},
  apiOptions: Parameters<typeof FakeApi.start>[0] = {},
): Promise<Harness> {
  const api = await FakeApi.start(apiOptions);
  const logs: Harness["logs"] = [];
  const session = attach({
    url: api.url,
    body: { agent: { upstream: "mock", turns: [] } },
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
