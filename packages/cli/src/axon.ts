import { Command, CommanderError } from "commander";
import { serveCommand } from "./commands/serve";
import { userAddCommand } from "./commands/user-add";

/** Builds the `axon` command tree. Each subcommand lives in commands/. */
export function buildProgram(): Command {
  const program = new Command("axon").description("Axon Matrix homeserver").exitOverride();
  program.addCommand(serveCommand());
  const user = new Command("user").description("manage local users");
  user.addCommand(userAddCommand());
  program.addCommand(user);
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
    console.error(`axon: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
