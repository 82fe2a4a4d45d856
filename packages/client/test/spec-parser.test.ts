import { describe, expect, test } from "vitest";
import { parseUpstreamSpec, splitCommandLine } from "../src/index.js";

describe("splitCommandLine", () => {
  test.each([
    ["npx -y @modelcontextprotocol/server-everything", ["npx", "-y", "@modelcontextprotocol/server-everything"]],
    ["  node   server.js  ", ["node", "server.js"]],
    [`node 'my dir/server.js' "a b"`, ["node", "my dir/server.js", "a b"]],
    [`echo "say \\"hi\\" \\\\ \\n"`, ["echo", `say "hi" \\ \\n`]],
    [`echo 'it''s' it\\'s`, ["echo", "its", "it's"]],
    [`a\\ b c`, ["a b", "c"]],
    [`cmd "" ''`, ["cmd", "", ""]],
    ["cmd --x=1\\\n --y", ["cmd", "--x=1", "--y"]],
  ])("%j", (input, expected) => {
    expect(splitCommandLine(input)).toEqual(expected);
  });

  test("unterminated quotes and a trailing backslash are errors", () => {
    expect(() => splitCommandLine(`node "server.js`)).toThrow(/unterminated double quote/);
    expect(() => splitCommandLine(`node 'server.js`)).toThrow(/unterminated single quote/);
    expect(() => splitCommandLine(`node \\`)).toThrow(TypeError);
  });
});

describe("parseUpstreamSpec", () => {
  test("http(s) URLs are HTTP upstreams", () => {
    expect(parseUpstreamSpec("http://127.0.0.1:3001/mcp")).toEqual({ kind: "http", url: "http://127.0.0.1:3001/mcp" });
    expect(parseUpstreamSpec(" HTTPS://example.com/mcp ")).toEqual({ kind: "http", url: "https://example.com/mcp" });
    expect(() => parseUpstreamSpec("http://")).toThrow(TypeError);
  });

  test("anything else is a stdio command line; leading NAME=value words are environment", () => {
    expect(parseUpstreamSpec("npx -y @modelcontextprotocol/server-everything")).toEqual({
      kind: "stdio",
      command: "npx",
      args: ["-y", "@modelcontextprotocol/server-everything"],
    });
    expect(parseUpstreamSpec(`TOKEN=abc "LABEL=a b" node s.js X=1`)).toEqual({
      kind: "stdio",
      command: "node",
      args: ["s.js", "X=1"],
      env: { TOKEN: "abc", LABEL: "a b" },
    });
    expect(() => parseUpstreamSpec("   ")).toThrow(TypeError);
  });
});
