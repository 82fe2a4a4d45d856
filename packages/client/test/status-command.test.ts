import { describe, expect, it } from "vitest";
import { adminStatusUrl, formatStatus } from "../src/cli/status-command.js";

describe("conduit status", () => {
  it("reads /admin/status on the origin of a ws, wss, http or https URL", () => {
    expect(adminStatusUrl("ws://127.0.0.1:5000/agent/completions").href).toBe("http://127.0.0.1:5000/admin/status");
    expect(adminStatusUrl("wss://api.example.com/agent/completions?x=1").href).toBe(
      "https://api.example.com/admin/status",
    );
    expect(adminStatusUrl("https://api.example.com").href).toBe("https://api.example.com/admin/status");
    expect(() => adminStatusUrl("ftp://api.example.com")).toThrow(TypeError);
    expect(() => adminStatusUrl("not a url")).toThrow(TypeError);
  });

  it("prints one row per socket and per traffic count, with the server's text escaped", () => {
    const text = formatStatus(
      {
        status: "ok",
        uptimeMs: 3_725_000,
        totals: { sockets: 1, agents: 2, inFlight: 1 },
        sockets: [
          {
            id: "sock_1",
            remoteAddress: "127.0.0.1",
            subprotocol: "conduit.v2",
            connectedMs: 61_000,
            agents: ["resp_aaaaaaa…", "resp_bbbbbbb…"],
            declaredMcps: ["objectiveai"],
            inFlight: 1,
          },
        ],
        traffic: {
          windowMs: 900_000,
          total: 3,
          counts: [{ mcp: "objectiveai", method: "tools/call\n[fake] line", outcome: "ok", count: 3 }],
        },
      },
      "http://127.0.0.1:5000",
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe("http://127.0.0.1:5000: ok, up 1h 2m; 1 socket(s), 2 agent(s), 1 MCP request(s) in flight");
    expect(lines).toContain(
      "sock_1  127.0.0.1  conduit.v2  1m 1s      1          objectiveai  resp_aaaaaaa…,resp_bbbbbbb…",
    );
    expect(lines).toContain("MCP traffic, last 15m 0s: 3 request(s)");
    expect(text).toContain("tools/call\\u000a[fake] line");
    expect(lines.some((line) => line.startsWith("[fake]"))).toBe(false);
  });

  it("says how many agents the API did not list", () => {
    const text = formatStatus(
      { sockets: [{ id: "sock_2", agents: ["resp_aaaaaaa…"], agentCount: 105 }] },
      "http://127.0.0.1:5000",
    );
    expect(text).toContain("resp_aaaaaaa… +104 more");
  });
});
