import { Command, CommanderError } from "commander";
import { loginCommand } from "./client/login";
import { logoutCommand } from "./client/logout";
import { describeError } from "./client/output";
import { presenceCommand } from "./client/presence";
import { serveCommand } from "./commands/serve";
import { userAddCommand } from "./commands/user-add";
import { userDeactivateCommand, userListCommand, userResetPasswordCommand } from "./commands/user-admin";

/** Builds the `axon` command tree. Server subcommands live in commands/, client ones in client/. */
export function buildProgram(): Command {
  const program = new Command("axon").description("Axon Matrix homeserver, and a presence client for any Matrix server").exitOverride();
  program.addCommand(serveCommand());
  const user = new Command("user").description("manage local users");
  user.addCommand(userAddCommand());
  user.addCommand(userListCommand());
  user.addCommand(userDeactivateCommand());
  user.addCommand(userResetPasswordCommand());
  program.addCommand(user);
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(presenceCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // One line, never a stack: the client commands' errors (SDK and session) read as sentences.
    console.error(`axon: ${describeError(err)}`);
    process.exitCode = 1;
  }
}
