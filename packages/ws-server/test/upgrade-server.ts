// The HTTP server under every WebSocket test (the harness and the memory
// fixture): 127.0.0.1 on an ephemeral port, upgrades to the conduit handler,
// 426 Upgrade Required for any plain request.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { UpgradeHandler } from "../src/index.js";

export async function listenForUpgrades(
  upgrade: Pick<UpgradeHandler, "handle">,
): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.statusCode = 426;
    res.end();
  });
  server.on("upgrade", upgrade.handle);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}
