import { Command, CommanderError } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { addAttachCommand } from "./attach-command.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import type { Io } from "./run-attach.js";
import { addStatusCommand } from "./status-command.js";

/** Parses argv, runs the command and resolves with the exit code. Usage errors exit 2. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.Success;
  const program = new Command("conduit")
    .description("Attach to a Conduit API stream and serve its MCP requests from local MCP servers.")
    .version(packageJson.version, "-V, --version", "print the version of the conduit CLI")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    // Set before the subcommands are added, which inherit it: commander throws instead of exiting.
    .exitOverride()
    .addHelpText("after", `\n${EXIT_CODES_HELP}`);
  addAttachCommand(program, io, (code) => (exitCode = code));
  addStatusCommand(program, io, (code) => (exitCode = code));

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
    throw error;
  }
  return exitCode;
}
