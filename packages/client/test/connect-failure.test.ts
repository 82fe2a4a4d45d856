import { afterEach, expect, test } from "vitest";
import { attach, type AttachEvent } from "../src/index.js";
import { FakeApi } from "./helpers/fake-api.js";
import { Gatekeeper, SilentPeer, UNAUTHORIZED_MESSAGE } from "./helpers/gatekeeper.js";

const BODY = { agent: { upstream: "mock", turns: [] }, messages: [] };
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

test("an HTTP refusal of the upgrade: status and the server's JSON message in outcome.failure", async () => {
  const gate = await Gatekeeper.start("sekret");
  stops.push(() => gate.stop());
  const refused = attach({ url: `${gate.origin()}/agent/completions`, body: BODY });
  expect(await refused.closed).toEqual({
    kind: "abnormal",
    code: 1006,
    reason: `HTTP 401 Unauthorized: ${UNAUTHORIZED_MESSAGE}`,
    failure: { kind: "http", status: 401, statusText: "Unauthorized", message: UNAUTHORIZED_MESSAGE },
  });
  const wrongPath = attach({ url: `${gate.origin()}/v1`, body: BODY, headers: { Authorization: "Bearer sekret" } });
  expect(await wrongPath.closed).toMatchObject({ failure: { kind: "http", status: 404, message: "not found" } });
});

test("a silent peer: failure.kind timeout after connectTimeoutMs", async () => {
  const peer = await SilentPeer.start();
  stops.push(() => peer.stop());
  const session = attach({ url: peer.url(), body: BODY, connectTimeoutMs: 200 });
  await peer.accepted;
  expect(await session.closed).toMatchObject({ kind: "abnormal", failure: { kind: "timeout", ms: 200 } });
});

test("a refused connection: failure.kind network with the code", async () => {
  const api = await FakeApi.start();
  const url = api.url;
  await api.stop();
  const session = attach({ url, body: BODY });
  expect(await session.closed).toMatchObject({ kind: "abnormal", failure: { kind: "network", code: "ECONNREFUSED" } });
});

test("connected is an event; a stream that broke after opening has no connect failure", async () => {
  const api = await FakeApi.start();
  stops.push(() => api.stop());
  const events: AttachEvent[] = [];
  const session = attach({ url: api.url, body: BODY, onEvent: (event) => events.push(event) });
  const conn = await api.nextConnection();
  conn.close(1011);
  const outcome = await session.closed;
  expect(outcome).toEqual({ kind: "abnormal", code: 1011, reason: "connection closed" });
  expect(events).toEqual([{ type: "connected", url: api.url, protocol: "conduit.v1" }]);
});

test("connectTimeoutMs out of range is a RangeError", () => {
  expect(() => attach({ url: "ws://127.0.0.1:1/", body: BODY, connectTimeoutMs: 0 })).toThrow(RangeError);
});
