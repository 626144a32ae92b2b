import { Command } from "commander";
import type { UserAdmin } from "@axon/server";
import { passwordFrom } from "../prompt";

interface DbOptions {
  config?: string;
  databaseUrl?: string;
}

/** `--config` and `--database-url`, as `user add` has them: the same database as the server. */
const withDb = (c: Command): Command =>
  c.option("-c, --config <file>", "YAML config file (to use the same database as the server)").option("--database-url <url>", "override database.url");

/** Opens the configured database, runs `work` with the operator tools, and closes it; errors read as one line. */
async function withUserAdmin<T>(opts: DbOptions, work: (admin: UserAdmin) => Promise<T>): Promise<T> {
  const { loadConfig, openDatabase, SqlAdminStore, systemClock, UserAdmin } = await import("@axon/server");
  const config = loadConfig(opts.config, { databaseUrl: opts.databaseUrl });
  const database = await openDatabase(config.database.url);
  try {
    return await work(new UserAdmin(new SqlAdminStore(database.db), systemClock, config.server_name));
  } catch (err) {
    const e = err as { errcode?: string; message: string };
    throw new Error(e.errcode ? `${e.errcode}: ${e.message}` : e.message);
  } finally {
    await database.close();
  }
}

export function userListCommand(): Command {
  return withDb(new Command("list").description("list local users: id, admin, deactivated, devices, created"))
    .option("--json", "one JSON array instead of a table", false)
    .action(async (opts: DbOptions & { json: boolean }) => {
      const users = await withUserAdmin(opts, (a) => a.list());
      if (opts.json) {
        console.log(JSON.stringify(users.map((u) => ({ user_id: u.userId, admin: u.isAdmin, deactivated: u.deactivated, devices: u.devices, created_ts: u.createdTs }))));
        return;
      }
      const rows = users.map((u) => [u.userId, u.isAdmin ? "admin" : "", u.deactivated ? "deactivated" : "active", `${u.devices} device${u.devices === 1 ? "" : "s"}`, new Date(u.createdTs).toISOString().slice(0, 10)]);
      const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
      for (const r of rows) console.log(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join("  "));
    });
}

export function userDeactivateCommand(): Command {
  return withDb(new Command("deactivate").description("deactivate a user: logs out every device, no more logins, offline, leaves every room").argument("<name>", "localpart or user id"))
    .action(async (name: string, opts: DbOptions) => {
      const { userId, devices } = await withUserAdmin(opts, (a) => a.deactivate(name));
      console.log(`${userId} deactivated; ${devices.length} device${devices.length === 1 ? "" : "s"} logged out`);
    });
}

export function userResetPasswordCommand(): Command {
  return withDb(new Command("reset-password").description("set a new password; logs out every device unless --keep-devices").argument("<name>", "localpart or user id"))
    .option("--password-file <file>", "read the password from the first line of this file")
    .option("--keep-devices", "keep the user's devices logged in", false)
    .action(async (name: string, opts: DbOptions & { passwordFile?: string; keepDevices: boolean }) => {
      const password = await passwordFrom(opts.passwordFile, `New password for ${name}: `);
      const { userId, devices } = await withUserAdmin(opts, (a) => a.resetPassword(name, password, opts.keepDevices));
      const tail = opts.keepDevices ? "devices kept" : `${devices.length} device${devices.length === 1 ? "" : "s"} logged out`;
      console.log(`${userId}: password changed; ${tail}`);
    });
}
