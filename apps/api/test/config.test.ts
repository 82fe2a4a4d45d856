import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_VARS, ConfigError, loadConfig } from "../src/config.js";
import {
  API_MAIN,
  DECLARE_EVERYTHING,
  ECHO,
  cleanup,
  exitWithin,
  mockBody,
  spawnNode,
  startApi,
  startCli,
} from "./helpers.js";

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
      allowedOrigins: [],
      maxBodyBytes: 4 * 1024 * 1024,
      maxNotifyBytesPerAgent: 1024 * 1024,
      maxInvalidFrames: 100,
      invalidFrameWindowMs: 10_000,
      maxElicitationsPerAgent: 4,
      elicitationTimeoutMs: 25_000,
      heartbeatMs: 15_000,
      idleTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5_000,
      maxConnections: 4096,
      mcpMaxConnections: 4096,
      logLevel: "info",
      openaiBaseUrl: "https://openrouter.ai/api/v1",
      openaiApiKey: undefined,
    });
    const configured = loadConfig(["--port", "7000"], {
      PORT: "6000",
      MAX_SWARM: "3",
      API_KEYS: " a, ,b ",
      OPENAI_BASE_URL: "http://x.test/v1/",
      ALLOWED_ORIGINS: " https://app.example.com , http://localhost:3000,",
    });
    // An unset headers timeout follows a lower request timeout.
    expect(loadConfig([], { HTTP_REQUEST_TIMEOUT_MS: "300" })).toMatchObject({
      httpHeadersTimeoutMs: 300,
      httpRequestTimeoutMs: 300,
    });
    expect(configured).toMatchObject({
      port: 7000,
      maxSwarm: 3,
      apiKeys: ["a", "b"],
      openaiBaseUrl: "http://x.test/v1",
      allowedOrigins: ["https://app.example.com", "http://localhost:3000"],
    });
    expect(loadConfig(["--allowed-origins", "*"], {}).allowedOrigins).toEqual(["*"]);
  });

  it("names the variable of a bad value", () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [[], { PORT: "70000" }, /PORT/],
      [[], { MAX_SWARM: "0" }, /MAX_SWARM/],
      [[], { HEARTBEAT_MS: "1.5" }, /HEARTBEAT_MS/],
      [[], { LOG_LEVEL: "loud" }, /LOG_LEVEL/],
      [[], { OPENAI_BASE_URL: "ftp://x" }, /OPENAI_BASE_URL/],
      [[], { API_KEYS: " , " }, /API_KEYS/],
      [[], { ALLOWED_ORIGINS: "https://app.example.com/" }, /ALLOWED_ORIGINS: "https:\/\/app.example.com\/"/],
      [[], { ALLOWED_ORIGINS: "app.example.com" }, /ALLOWED_ORIGINS/],
      [["--max-body-bytes", "lots"], {}, /MAX_BODY_BYTES/],
      [[], { MAX_NOTIFY_BYTES_PER_AGENT: "0" }, /MAX_NOTIFY_BYTES_PER_AGENT/],
      [[], { MAX_INVALID_FRAMES: "0" }, /MAX_INVALID_FRAMES/],
      [[], { INVALID_FRAME_WINDOW_MS: "x" }, /INVALID_FRAME_WINDOW_MS/],
      [[], { MAX_ELICITATIONS_PER_AGENT: "0" }, /MAX_ELICITATIONS_PER_AGENT/],
      [[], { ELICITATION_TIMEOUT_MS: "2147483648" }, /ELICITATION_TIMEOUT_MS/],
      [[], { HTTP_REQUEST_TIMEOUT_MS: "0" }, /HTTP_REQUEST_TIMEOUT_MS/],
      [[], { HTTP_KEEP_ALIVE_TIMEOUT_MS: "2147483648" }, /HTTP_KEEP_ALIVE_TIMEOUT_MS/],
      [[], { MAX_CONNECTIONS: "0" }, /MAX_CONNECTIONS/],
      [["--mcp-max-connections", "-1"], {}, /MCP_MAX_CONNECTIONS/],
      // Node refuses a headers timeout above the request timeout.
      [
        [],
        { HTTP_HEADERS_TIMEOUT_MS: "2000", HTTP_REQUEST_TIMEOUT_MS: "1000" },
        /HTTP_HEADERS_TIMEOUT_MS: must be at most/,
      ],
      [["--no-such-flag"], {}, /no-such-flag/],
      // A Node timer past 2^31-1 ms fires after 1 ms: each of these would misfire at once.
      [[], { REVERSE_CHANNEL_TIMEOUT_MS: "2147483648" }, /REVERSE_CHANNEL_TIMEOUT_MS/],
      [[], { HEARTBEAT_MS: "2147483648" }, /HEARTBEAT_MS/],
      [[], { IDLE_TIMEOUT_MS: "2147483648" }, /IDLE_TIMEOUT_MS/],
      [["--shutdown-timeout-ms", "99999999999"], {}, /SHUTDOWN_TIMEOUT_MS/],
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

  it("--version prints the api package's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    const child = spawnNode([API_MAIN, "--version"]);
    expect(await exitWithin(child)).toEqual({ code: 0, signal: null });
    expect(child.stdout.lines).toEqual([version]);
  });

  it("exits 2 on an unknown flag", async () => {
    const child = spawnNode([API_MAIN, "--no-such-flag"]);
    expect((await exitWithin(child)).code).toBe(2);
    expect(child.stderr.text()).toContain("--no-such-flag");
  });

  it("exits 2 with a message naming the variable on a bad value", async () => {
    const child = spawnNode([API_MAIN], { PORT: "not-a-port" });
    expect((await exitWithin(child)).code).toBe(2);
    expect(child.stderr.text()).toMatch(/invalid PORT/);

    // Accepted, this one made every socket fail "no body frame within 2147483648 ms" after 1 ms.
    const idle = spawnNode([API_MAIN], { IDLE_TIMEOUT_MS: "2147483648", PORT: "0" });
    expect((await exitWithin(idle)).code).toBe(2);
    expect(idle.stderr.text()).toMatch(/invalid IDLE_TIMEOUT_MS: must be at most 2147483647/);
  });

  it("serves MCP calls with the largest REVERSE_CHANNEL_TIMEOUT_MS (the agents' own limit stays a valid timer)", async () => {
    const api = await startApi({ REVERSE_CHANNEL_TIMEOUT_MS: "2147483647" });
    const cli = startCli(api.wsUrl, mockBody([ECHO("still in time")], DECLARE_EVERYTHING));
    expect((await exitWithin(cli)).code, cli.stderr.text()).toBe(0);
    const result = cli.chunks().find((chunk) => chunk.tool_result)!.tool_result!;
    expect(result.content).toEqual([{ type: "text", text: "Echo: still in time" }]);
    expect(cli.chunks().at(-1)).toMatchObject({ finish_reason: "stop" });
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
