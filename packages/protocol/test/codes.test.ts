import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CloseCode,
  ConduitErrorCode,
  ErrorFrameCode,
  JsonRpcErrorCode,
  LIST_KINDS,
  SUBPROTOCOL,
  httpStatusForErrorCode,
  isListKind,
  listChangedMethod,
  wireError,
} from "../src/index.js";

describe("httpStatusForErrorCode", () => {
  it.each([
    [-32001, 404],
    [-32002, 503],
    [-32003, 504],
    [-32004, 502],
    [-32005, 429],
    [-32602, 400],
    [-32603, 500],
    [-32700, 400],
    [-32600, 400],
  ])("%i → %i", (code, status) => {
    expect(httpStatusForErrorCode(code)).toBe(status);
  });

  // An upstream's own JSON-RPC error travels inside a successful exchange;
  // -32601 too, because an MCP client reads HTTP 404 as "session gone".
  it.each([-31999, 42, 0, -32601, -32000, -32006, 404])("%i → 200", (code) => {
    expect(httpStatusForErrorCode(code)).toBe(200);
  });

  it("every code outside the table → 200", () => {
    const mapped = new Set([-32001, -32002, -32003, -32004, -32005, -32600, -32602, -32603, -32700]);
    fc.assert(
      fc.property(
        fc.integer().filter((code) => !mapped.has(code)),
        (code) => {
          expect(httpStatusForErrorCode(code)).toBe(200);
        },
      ),
    );
  });

  it("the named codes have the values SPEC §5 gives", () => {
    expect(ConduitErrorCode).toEqual({
      NoReverseChannel: -32001,
      ChannelClosed: -32002,
      Timeout: -32003,
      UpstreamFailed: -32004,
      TooManyPending: -32005,
      Cancelled: -32800,
    });
    expect(JsonRpcErrorCode.ParseError).toBe(-32700);
    expect(JsonRpcErrorCode.InvalidParams).toBe(-32602);
    expect(JsonRpcErrorCode.InternalError).toBe(-32603);
    expect(JsonRpcErrorCode.MethodNotFound).toBe(-32601);
  });
});

describe("wireError", () => {
  it("leaves data out when there is none", () => {
    expect(wireError(-32003, "timed out")).toStrictEqual({ code: -32003, message: "timed out" });
  });

  it("keeps data when given, even null", () => {
    expect(wireError(-32004, "failed", null)).toStrictEqual({ code: -32004, message: "failed", data: null });
  });
});

describe("CloseCode", () => {
  it("has the codes of SPEC §4, and the three RFC 6455 codes ws sends or reports itself", () => {
    expect(CloseCode).toEqual({
      Normal: 1000,
      GoingAway: 1001,
      ProtocolError: 1002,
      BadBody: 1003,
      Abnormal: 1006,
      InvalidPayload: 1007,
      Policy: 1008,
      TooLarge: 1009,
      InternalError: 1011,
    });
  });
});

describe("ErrorFrameCode", () => {
  it("holds the HTTP-like codes of the error frame", () => {
    expect(ErrorFrameCode).toEqual({
      InvalidBody: 400,
      BodyTimeout: 408,
      LimitExceeded: 429,
      Internal: 500,
      ShuttingDown: 503,
    });
  });
});

describe("constants", () => {
  it("the subprotocol is conduit.v1", () => {
    expect(SUBPROTOCOL).toBe("conduit.v1");
  });

  it("list kinds and their notification methods", () => {
    expect(LIST_KINDS).toEqual(["tools", "resources", "prompts"]);
    expect(LIST_KINDS.map(listChangedMethod)).toEqual([
      "notifications/tools/list_changed",
      "notifications/resources/list_changed",
      "notifications/prompts/list_changed",
    ]);
    for (const list of LIST_KINDS) expect(isListKind(list)).toBe(true);
    for (const other of ["tool", "Tools", "", null, 1]) expect(isListKind(other)).toBe(false);
  });
});
