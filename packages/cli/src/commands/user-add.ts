import { Command } from "commander";
import { passwordFrom } from "../prompt";

export function userAddCommand(): Command {
  return new Command("add")
    .description("create a local user; prints the user id")
    .argument("<name>", "localpart, e.g. alice")
    .option("--password-file <file>", "read the password from the first line of this file")
    .option("--admin", "make the user a server admin", false)
    .option("-c, --config <file>", "YAML config file (to use the same database as the server)")
    .option("--database-url <url>", "override database.url")
    .action(async (name: string, opts: { passwordFile?: string; admin: boolean; config?: string; databaseUrl?: string }) => {
      const { AccountService, loadConfig, openDatabase, SqlAccountStore, systemClock } = await import("@axon/server");
      const config = loadConfig(opts.config, { databaseUrl: opts.databaseUrl });
      const password = await passwordFrom(opts.passwordFile, `Password for ${name}: `);
      const database = await openDatabase(config.database.url);
      try {
        const accounts = new AccountService(new SqlAccountStore(database.db), systemClock, config.server_name);
        const userId = await accounts.createUser(name.replace(/^@/, "").split(":")[0]!.toLowerCase(), password, opts.admin);
        console.log(userId);
      } catch (err) {
        const e = err as { errcode?: string; message: string };
        throw new Error(e.errcode ? `${e.errcode}: ${e.message}` : e.message);
      } finally {
        await database.close();
      }
    });
}
