// Runs server.mjs as a child process and attaches to it with the real @conduit/client library.
import { fileURLToPath } from "node:url";
import { testExample } from "@conduit-examples/demo-agent/test-support";

testExample("hono", fileURLToPath(new URL("..", import.meta.url)));
