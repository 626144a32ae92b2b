import { AxonClient, MatrixError } from "@axon/sdk";
import { Command } from "commander";
import { passwordFrom } from "../prompt";
import { CliError } from "./output";
import { sessionPath, writeSession } from "./session-file";

interface LoginOptions {
  homeserver: string;
  user: string;
  passwordFile?: string;
}

export function loginCommand(): Command {
  return new Command("login")
    .description("log in to a Matrix homeserver and keep the session for the other commands")
    .requiredOption("--homeserver <url>", "the homeserver's URL, e.g. https://matrix.example.org")
    .requiredOption("--user <name>", "user name (localpart) or full user id")
    .option("--password-file <file>", "read the password from the first line of this file (default: ask)")
    .action(async (opts: LoginOptions) => {
      const password = await passwordFrom(opts.passwordFile, `Password for ${opts.user}: `);
      const client = await logIn(opts.homeserver, opts.user, password);
      const path = sessionPath();
      writeSession(client.session, path);
      console.log(`Logged in as ${client.userId} on ${client.session.homeserver} (device ${client.session.deviceId}); session saved in ${path}`);
    });
}

async function logIn(homeserver: string, user: string, password: string): Promise<AxonClient> {
  try {
    return await AxonClient.login(homeserver, user, password, { deviceName: "axon CLI" });
  } catch (err) {
    if (err instanceof MatrixError && err.status === 403 && err.errcode === "M_FORBIDDEN") throw new CliError("wrong user name or password");
    if (err instanceof MatrixError && (err.status === 404 || err.status === 405) && err.errcode !== "M_FORBIDDEN") {
      throw new CliError(`${homeserver} does not look like a Matrix homeserver (POST /login answered HTTP ${err.status})`);
    }
    throw err;
  }
}
