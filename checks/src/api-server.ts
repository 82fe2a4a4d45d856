import { join } from "node:path";
import { start, type Running } from "./processes.js";
import { workspaceRoot } from "./workspace.js";

export interface ApiServer {
  running: Running;
  url: string;
  stop: () => Promise<void>;
}

/** Starts the built API (apps/api/dist/main.js) on 127.0.0.1 and ephemeral ports. */
export async function startApi(): Promise<ApiServer> {
  const running = start(process.execPath, [join(workspaceRoot, "apps", "api", "dist", "main.js")], {
    cwd: workspaceRoot,
    env: { ...process.env, ADDRESS: "127.0.0.1", PORT: "0", MCP_PORT: "0" },
  });
  const [, port] = await running.waitFor(/"port":(\d+),"mcpPort":\d+,"msg":"listening"/);
  return {
    running,
    url: `ws://127.0.0.1:${port}/agent/completions`,
    stop: async () => {
      if (running.child.exitCode === null) running.child.kill("SIGTERM");
      await running.exited;
    },
  };
}
