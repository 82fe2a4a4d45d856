import { errorMessage, CloseCode } from "@conduit/protocol";
import { closeServer, type App } from "./app.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits for `promise`, at most `ms`; true when it settled in time. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, delay(ms).then(() => false)]);
}

/**
 * Graceful shutdown, in order: stop accepting (listener closed, upgrades
 * refused with 503), cancel every agent (final chunk "cancelled"), close
 * every WebSocket with 1001 (pending MCP requests fail -32002), close the
 * MCP listener, then wait for the last HTTP responses. Each wait is bounded
 * so the whole fits in SHUTDOWN_TIMEOUT_MS.
 */
export async function shutdownApp(app: App): Promise<void> {
  const budget = app.config.shutdownTimeoutMs;
  const deadline = Date.now() + budget;
  const step = Math.max(1, Math.min(2000, Math.floor(budget / 4)));

  app.shutdown.abort(new Error("server shutting down"));
  app.host.stopAccepting();
  const serverClosed = closeServer(app.server);

  const swarms = [...app.engine.activeSwarms];
  if (swarms.length > 0 && !(await within(Promise.all(swarms), step))) {
    app.logger.warn({ swarms: app.engine.activeSwarms.size }, "agents still finishing, closing their sockets anyway");
  }
  // Every WebSocket with 1001 (pending MCP requests fail -32002), then the MCP listener.
  await app.host
    .close({ code: CloseCode.GoingAway, reason: "server shutting down", graceMs: step })
    .catch((err: unknown) => {
      app.logger.warn({ err: errorMessage(err) }, "MCP listener close failed");
    });
  if (!(await within(serverClosed, Math.max(1, deadline - Date.now() - step)))) {
    app.logger.warn({}, "HTTP connections still open near the shutdown bound, closing them");
    app.server.closeAllConnections();
    await within(serverClosed, step);
  }
}

export interface SignalOptions {
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}

/**
 * SIGTERM/SIGINT → shutdownApp, then exit 0. Past SHUTDOWN_TIMEOUT_MS, or on
 * a second signal, the process exits 1 at once. Installed before the app
 * starts (a signal before a handler exists would kill the process outright);
 * a signal during startup shuts the app down as soon as it is up.
 */
export function installSignalHandlers(
  started: Promise<App>,
  config: Config,
  logger: Logger,
  options: SignalOptions = {},
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.error({ signal }, "second signal during shutdown, exiting now");
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down");
    const force = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown did not finish in time, forcing exit");
      exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    started.then(shutdownApp).then(
      () => {
        clearTimeout(force);
        logger.info({}, "shut down");
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(force);
        logger.error({ err: errorMessage(err) }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const signal of options.signals ?? ["SIGTERM", "SIGINT"]) process.on(signal, onSignal);
}
