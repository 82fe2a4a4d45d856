#!/usr/bin/env node
import { startApp } from "./app.js";
import { ConfigError, ConfigExit, loadConfig, type Config } from "./config.js";
import { createLogger } from "./logger.js";
import { installSignalHandlers } from "./shutdown.js";
import { errorMessage } from "@conduit/protocol";

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.argv.slice(2), process.env, (text) => process.stdout.write(text));
  } catch (err) {
    if (err instanceof ConfigExit) process.exit(0);
    if (err instanceof ConfigError) {
      process.stderr.write(`conduit-api: ${err.message}\nRun with --help to list every variable.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  process.on("uncaughtException", (err) => {
    logger.fatal({ err: err.message, stack: err.stack }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, "unhandled rejection");
  });
  const started = startApp(config, logger);
  installSignalHandlers(started, config, logger);
  try {
    await started;
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, "could not start");
    process.exit(1);
  }
}

void main();
