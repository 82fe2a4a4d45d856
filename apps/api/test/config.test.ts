import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_VARS, ConfigError, loadConfig } from "../src/config.js";
import { API_MAIN, cleanup, exitWithin, spawnNode, startApi } from "./helpers.js";

afterEach(async () => {
  await cleanup();
});

describe("configuration", () => {
  it("reads defaults, the environment and flags (flags win)", () => {
    const defaults = loadConfig([], {});
    expect(defaults).toMatchObject({
      address: "0.0.0.0",
      port: 5000,
      mcpPort: 0,
      apiKeys: [],
      maxSwarm: 64,
      reverseChannelTimeoutMs: 30_000,
      maxPendingPerChannel: 1024,
      maxIdsPerSocket: 1024,
      maxSseSubscribersPerId: 16,
      wsMaxFrameBytes: 16 * 1024 * 1024,
      maxBodyBytes: 4 * 1024 * 1024,
      heartbeatMs: 15_000,
      idleTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
      logLevel: "info",
      openaiBaseUrl: "https://openrouter.ai/api/v1",
      openaiApiKey: undefined,
    });
    const configured = loadConfig(["--port", "7000"], {
      PORT: "6000",
      MAX_SWARM: "3",
      API_KEYS: " a, ,b ",
      OPENAI_BASE_URL: "http://x.test/v1/",
    });
    expect(configured).toMatchObject({
      port: 7000,
      maxSwarm: 3,
      apiKeys: ["a", "b"],
      openaiBaseUrl: "http://x.test/v1",
    });
  });

  it("names the variable of a bad value", () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [[], { PORT: "70000" }, /PORT/],
      [[], { MAX_SWARM: "0" }, /MAX_SWARM/],
      [[], { HEARTBEAT_MS: "1.5" }, /HEARTBEAT_MS/],
      [[], { LOG_LEVEL: "loud" }, /LOG_LEVEL/],
      [[], { OPENAI_BASE_URL: "ftp://x" }, /OPENAI_BASE_URL/],
      [[], { API_KEYS: " , " }, /API_KEYS/],
      [["--max-body-bytes", "lots"], {}, /MAX_BODY_BYTES/],
      [["--no-such-flag"], {}, /no-such-flag/],
    ];
    for (const [argv, env, pattern] of cases) {
      expect(() => loadConfig(argv, env)).toThrow(ConfigError);
      expect(() => loadConfig(argv, env)).toThrow(pattern);
    }
  });

  it("--help lists every variable with its default and exits 0", async () => {
    const child = spawnNode([API_MAIN, "--help"]);
    expect((await exitWithin(child)).code).toBe(0);
    const help = child.stdout.text().replace(/\s+/g, " ");
    for (const item of CONFIG_VARS) {
      expect(help).toContain(`--${item.flag}`);
      expect(help).toContain(`env ${item.env}`);
      expect(help).toContain(`(default: ${item.default ?? "unset"})`);
    }
  });

  it("exits 2 with a message naming the variable on a bad value", async () => {
    const child = spawnNode([API_MAIN], { PORT: "not-a-port" });
    expect((await exitWithin(child)).code).toBe(2);
    expect(child.stderr.text()).toMatch(/invalid PORT/);
  });

  it("warns loudly when open (no API_KEYS) beyond loopback, not on loopback", async () => {
    const open = await startApi({ ADDRESS: "0.0.0.0" });
    const warning = await open.stdout.waitFor(
      (line) => line.includes("API_KEYS is not set"),
      "the open-server warning",
    );
    expect(JSON.parse(warning)).toMatchObject({ level: 40, address: "0.0.0.0" });

    const loopback = await startApi({ ADDRESS: "127.0.0.1" });
    expect(loopback.stdout.text()).not.toContain("API_KEYS is not set");
    const listening = loopback.logs().find((record) => record.msg === "listening")!;
    expect(listening).toMatchObject({ address: "127.0.0.1", port: loopback.port, mcpPort: loopback.mcpPort });
    expect(loopback.port).toBeGreaterThan(0);
    expect(loopback.mcpPort).toBeGreaterThan(0);
  });
});
