// One real call per published package, as a user's first line of code would make it. The same source
// runs as ESM (with `import`) and as CommonJS (with `require`); it prints a JSON value to compare.
export interface Usage {
  /** Names bound from the packages, by package. */
  imports: Record<string, string[]>;
  /** Statements that end by printing one JSON line. */
  body: string;
  expected: unknown;
}

export const usages: Record<string, Usage> = {
  protocol: {
    imports: { "@conduit/protocol": ["parseMcpKind"] },
    body: 'console.log(JSON.stringify([parseMcpKind("acme/files/1.0.0/fs").ok, parseMcpKind("acme/../1.0.0/fs").ok]));',
    expected: [true, false],
  },
  registry: {
    imports: { "@conduit/registry": ["ReverseChannel", "ReverseChannelRegistry"] },
    body: [
      "const registry = new ReverseChannelRegistry();",
      "const channel = new ReverseChannel({ write: () => {} });",
      'registry.register("resp_a", channel);',
      'console.log(JSON.stringify([registry.size, registry.unregister("resp_a", channel), registry.size]));',
    ].join("\n"),
    expected: [1, true, 0],
  },
  listeners: {
    imports: { "@conduit/listeners": ["formatListChangedEvent"] },
    body: 'console.log(JSON.stringify(formatListChangedEvent("tools")));',
    expected: 'data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
  },
  "ws-server": {
    imports: { "@conduit/ws-server": ["createUpgradeHandler"] },
    body: [
      'const upgrade = createUpgradeHandler({ path: "/agent/completions", onConnection: () => {} });',
      "upgrade.close();",
      "console.log(JSON.stringify(typeof upgrade.handle));",
    ].join("\n"),
    expected: "function",
  },
  "mcp-route": {
    imports: {
      "@conduit/mcp-route": ["createMcpListener"],
      "@conduit/registry": ["ReverseChannelRegistry"],
      "@conduit/listeners": ["SseStreamRegistry"],
    },
    body: [
      "createMcpListener({ registry: new ReverseChannelRegistry(), listeners: new SseStreamRegistry() })",
      "  .then(async (listener) => {",
      '    const reply = await fetch(`${listener.url}/objectiveai`, { method: "POST", body: "{}" });',
      "    await listener.close();",
      '    console.log(JSON.stringify([listener.url.startsWith("http://127.0.0.1:"), reply.status]));',
      "  });",
    ].join("\n"),
    expected: [true, 400],
  },
  host: {
    imports: { "@conduit/host": ["createConduitHost"] },
    body: [
      "const host = createConduitHost({ onSession: () => {} });",
      "host.listenMcp().then(async (mcp) => {",
      '  const reply = await fetch(`${mcp.url}/objectiveai`, { method: "POST", body: "{}" });',
      "  const open = host.stats().sockets;",
      "  await host.close();",
      '  console.log(JSON.stringify([mcp.url.startsWith("http://127.0.0.1:"), reply.status, open]));',
      "});",
    ].join("\n"),
    expected: [true, 400, 0],
  },
  client: {
    imports: { "@conduit/client": ["parseUpstreamSpec"] },
    body: 'console.log(JSON.stringify(parseUpstreamSpec("http://127.0.0.1:3001/mcp").kind));',
    expected: "http",
  },
};

/** The program for one module system. */
export function usageProgram(usage: Usage, system: "esm" | "cjs"): string {
  const lines = Object.entries(usage.imports).map(([specifier, names]) =>
    system === "esm"
      ? `import { ${names.join(", ")} } from "${specifier}";`
      : `const { ${names.join(", ")} } = require("${specifier}");`,
  );
  return `${lines.join("\n")}\n${usage.body}\n`;
}
