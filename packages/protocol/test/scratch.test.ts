import { it } from "vitest";
import * as p from "../src/index.js";
it("scratch", () => {
  const tries = ['{"type":"constructor"}','{"type":"__proto__"}','{"type":"toString"}','{"type":"server_response","id":1}'];
  for (const t of tries) { try { console.log(t, JSON.stringify(p.decodeFrame(t))); } catch (e) { console.log(t, "THREW", String(e)); } }
  const c = '{"type":"chunk","data":{"id":"r","object":"agent.completion.chunk","index":0,"created":1,"__proto__":{"x":1},"tool_call":{"id":"t","mcp":"objectiveai","name":"n","arguments":{"__proto__":{"y":2}}}}}';
  const r = p.decodeFrame(c); console.log(JSON.stringify(r), r.ok && Object.keys((r.value as {data:object}).data));
  const s = '{"type":"server_request","id":1,"mcp":"objectiveai","method":"m","headers":{"__proto__":"v"}}';
  console.log(JSON.stringify(p.decodeFrame(s)));
  console.log(JSON.stringify(p.frameJsonSchemas(), null, 1));
  console.log(JSON.stringify(p.decodeBody('{"agent":{"upstream":"x"}}')));
  console.log(JSON.stringify(p.decodeBody('{"agent":{"upstream":"mock"},"n":0}')));
  console.log(JSON.stringify(p.decodeBody('{"agent":{"upstream":"mock"}}')));
  console.log(JSON.stringify(p.decodeBody('[1]')), JSON.stringify(p.decodeBody('{')));
});
