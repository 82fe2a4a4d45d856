import { SseStreamRegistry } from "@conduit/listeners";
import { ReverseChannelRegistry } from "@conduit/registry";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMcpListener,
  isLoopbackAddress,
  isLoopbackHost,
  isLoopbackOrigin,
  type McpListener,
} from "../src/index.js";
import { POST_HEADERS, closeHarnesses, rawRequest, rpc, startHarness } from "./helpers.js";

const extra: McpListener[] = [];

afterEach(async () => {
  await Promise.all(extra.splice(0).map((listener) => listener.close()));
  await closeHarnesses();
});

describe("loopback predicates", () => {
  it("isLoopbackHost accepts loopback names and addresses with optional ports", () => {
    for (const host of [
      "localhost",
      "LOCALHOST:8080",
      "127.0.0.1",
      "127.0.0.1:1",
      "127.255.3.4:65535",
      "[::1]",
      "[::1]:3000",
      "[0:0:0:0:0:0:0:1]:80",
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it("isLoopbackHost refuses everything else", () => {
    for (const host of [
      undefined,
      "",
      "evil.example",
      "evil.example:80",
      "localhost.evil.example",
      "127.0.0.1.evil.example",
      "128.0.0.1",
      "0.0.0.0",
      "10.0.0.1:80",
      "127.0.0.256",
      "127.0.0.01",
      "127.0.0.1:99999",
      "127.0.0.1:",
      "127.0.0.1:80x",
      "[::2]",
      "[::1]x",
      "[::1",
      "::1",
      "[::ffff:10.0.0.1]",
    ]) {
      expect(isLoopbackHost(host), String(host)).toBe(false);
    }
  });

  it("isLoopbackOrigin", () => {
    for (const origin of [
      "http://localhost",
      "http://localhost:3000",
      "https://127.0.0.1",
      "http://127.9.9.9:80",
      "http://[::1]:8080",
    ]) {
      expect(isLoopbackOrigin(origin), origin).toBe(true);
    }
    for (const origin of [
      "null",
      "",
      "http://evil.example",
      "https://localhost.evil.example",
      "file://localhost",
      "ws://localhost",
      "http://10.0.0.1",
      "not a url",
    ]) {
      expect(isLoopbackOrigin(origin), origin).toBe(false);
    }
  });

  it("isLoopbackAddress", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopbackAddress(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.1", "10.0.0.1", "example.com", "::ffff:127.0.0.1", ""]) {
      expect(isLoopbackAddress(host), host).toBe(false);
    }
  });
});

describe("DNS-rebinding guard", () => {
  it("403 for a non-loopback Host, before anything else", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    for (const host of ["evil.example", "evil.example:80", "192.168.1.1"]) {
      const response = await rawRequest(endpoint, {
        method: "POST",
        headers: { ...POST_HEADERS, host, "x-objectiveai-response-id": responseId },
        body: rpc("tools/list"),
      });
      expect(response.status, host).toBe(403);
      expect(JSON.parse(response.text)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    }
    // Even a request that would otherwise be a 404 is refused first.
    expect((await rawRequest(`${endpoint}/nope`, { method: "GET", headers: { host: "evil.example" } })).status).toBe(
      403,
    );
    expect(attach.frames).toHaveLength(0);
  });

  it("accepts loopback Host headers", async () => {
    const { endpoint, responseId, listener } = await startHarness();
    for (const host of [`localhost:${listener.port}`, `127.0.0.1:${listener.port}`, "[::1]"]) {
      const response = await rawRequest(endpoint, {
        method: "POST",
        headers: { ...POST_HEADERS, host, "x-objectiveai-response-id": responseId },
        body: rpc("ping"),
      });
      expect(response.status, host).toBe(200);
    }
  });

  it("403 for a non-loopback Origin; loopback origins pass", async () => {
    const { endpoint, responseId, attach } = await startHarness();
    const send = (origin: string) =>
      fetch(endpoint, {
        method: "POST",
        headers: { ...POST_HEADERS, origin, "x-objectiveai-response-id": responseId },
        body: rpc("tools/list"),
      });
    for (const origin of ["https://evil.example", "null"]) {
      const response = await send(origin);
      expect(response.status, origin).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: -32600 } });
    }
    expect(attach.frames).toHaveLength(0);
    expect((await send("http://localhost:5173")).status).toBe(200);
  });
});

describe("createMcpListener", () => {
  const options = () => ({ registry: new ReverseChannelRegistry(), listeners: new SseStreamRegistry() });

  it("refuses non-loopback hosts before binding", () => {
    for (const host of ["0.0.0.0", "192.168.1.1", "::", "example.com"]) {
      expect(() => createMcpListener({ ...options(), host }), host).toThrow(RangeError);
    }
  });

  it("binds 127.0.0.1 on an ephemeral port by default and closes", async () => {
    const listener = await createMcpListener({ ...options(), host: "127.0.0.1" });
    extra.push(listener);
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}`);
    expect(listener.server.address()).toMatchObject({ address: "127.0.0.1" });
    const response = await fetch(`${listener.url}/objectiveai`, { method: "POST" });
    expect(response.status).toBe(400);
    await listener.close();
    expect(listener.server.listening).toBe(false);
  });

  it("refuses timer options a Node timer cannot hold (Node would fire them after 1 ms)", () => {
    expect(() => createMcpListener({ ...options(), timeoutMs: 2 ** 31 })).toThrow(RangeError);
    expect(() => createMcpListener({ ...options(), keepaliveMs: 2 ** 31 })).toThrow(RangeError);
  });

  it("refuses bad option values", () => {
    expect(() => createMcpListener({ ...options(), port: -1 })).toThrow(RangeError);
    expect(() => createMcpListener({ ...options(), timeoutMs: 0 })).toThrow(RangeError);
    expect(() => createMcpListener({ ...options(), maxBodyBytes: Number.NaN })).toThrow(RangeError);
  });
});
