#!/usr/bin/env node
import { startApp } from "./app.js";
import { ConfigError, ConfigExit, loadConfig, type Config } from "./config.js";
import { batchedStdout } from "./log-destination.js";
import { createLogger } from "./logger.js";
import { installSignalHandlers } from "./shutdown.js";
import { errorMessage } from "@conduit/protocol";

/** A bad flag or variable: the same code as the `conduit` CLI's usage errors. */
const USAGE_EXIT_CODE = 2;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.argv.slice(2), process.env, (text) => process.stdout.write(text));
  } catch (err) {
    // --help and --version have printed to stdout.
    if (err instanceof ConfigExit) process.exit(0);
    if (err instanceof ConfigError) {
      process.stderr.write(`conduit-api: ${err.message}\nRun with --help to list every variable.\n`);
      process.exit(USAGE_EXIT_CODE);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, batchedStdout(config.logBatchMs));
  process.on("uncaughtException", (err) => {
    logger.fatal({ err: err.message, stack: err.stack }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: errorMessage(reason) }, "unhandled rejection");
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
