import { describe, expect, it } from "vitest";
import { frameJsonSchemas } from "../src/index.js";

const NAMES = [
  "agent_message",
  "body",
  "cancel",
  "chunk",
  "chunk_frame",
  "client_request",
  "client_response",
  "elicitation_response",
  "error",
  "server_request",
  "server_response",
  "upstream_message",
];

describe("frameJsonSchemas", () => {
  const schemas = frameJsonSchemas();

  it("has a schema for every frame and the body", () => {
    expect(Object.keys(schemas).sort()).toEqual(NAMES);
  });

  it.each(NAMES)("%s is a draft 2020-12 object schema", (name) => {
    const schema = (schemas as Record<string, Record<string, unknown>>)[name];
    expect(schema?.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema?.type).toBe("object");
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(schemas))).toStrictEqual(schemas);
  });

  describe("server_request", () => {
    const schema = schemas.server_request;
    const properties = schema.properties as Record<string, { pattern?: string }>;

    it("requires every field but params and forbids others", () => {
      expect([...(schema.required as string[])].sort()).toEqual(["headers", "id", "mcp", "method", "type"]);
      expect(schema.additionalProperties).toBe(false);
    });

    it("its mcp pattern accepts kinds and rejects other shapes", () => {
      const pattern = properties.mcp?.pattern;
      expect(typeof pattern).toBe("string");
      const mcp = new RegExp(pattern ?? "", "u");
      for (const good of ["objectiveai", "acme/files/1.0.0/fs", "a/b/c/d"]) expect(mcp.test(good)).toBe(true);
      for (const bad of ["a/b", "a/b/c", "a/b/c/d/e", "a//c/d", "/a/b/c", "a b/c/d/e", "", "objectiveai/"]) {
        expect(mcp.test(bad)).toBe(false);
      }
    });
  });

  it("elicitation_response allows content only with accept", () => {
    const params = (schemas.elicitation_response.properties as Record<string, Record<string, unknown>>).params!;
    const branches = (params.anyOf ?? params.oneOf) as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    }[];
    expect(branches).toHaveLength(2);
    const [accept, other] = branches as [(typeof branches)[0], (typeof branches)[0]];
    expect(accept.properties).toHaveProperty("content");
    expect(other.properties).not.toHaveProperty("content");
    for (const branch of branches) {
      expect(branch.additionalProperties).toBe(false);
      expect([...branch.required].sort()).toEqual(["action", "elicitation_id", "response_id"]);
    }
  });

  it("the chunk schema names the elicitation and progress payloads", () => {
    const properties = schemas.chunk.properties as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(properties.tool_progress?.properties ?? {}).sort()).toEqual([
      "message",
      "progress",
      "tool_call_id",
      "total",
    ]);
    expect(Object.keys(properties.elicitation?.properties ?? {}).sort()).toEqual([
      "id",
      "mcp",
      "message",
      "mode",
      "requested_schema",
      "tool_call_id",
      "url",
    ]);
    expect(Object.keys(properties.elicitation_result?.properties ?? {}).sort()).toEqual(["action", "id", "source"]);
  });

  it("the body schema describes what a sender may omit", () => {
    const body = schemas.body;
    expect(body.required).toEqual(["agent"]);
    const properties = body.properties as Record<string, { default?: unknown }>;
    expect(properties.n?.default).toBe(1);
    expect(properties.stream?.default).toBe(false);
    expect(properties.max_turns?.default).toBe(8);
    expect(properties.messages?.default).toEqual([]);
  });

  it.each(["server_response", "client_request", "client_response"] as const)(
    "the union %s lists only object branches",
    (name) => {
      const schema = schemas[name];
      const branches = (schema.anyOf ?? schema.oneOf) as { type?: string }[];
      expect(branches.length).toBeGreaterThanOrEqual(2);
      for (const branch of branches) expect(branch.type).toBe("object");
    },
  );
});
