import { invalidParam, parseUserId, userIdOf, type DeviceId, type UserId } from "@axon/protocol";
import { hashPassword } from "../accounts/password";
import type { Clock } from "../clock";
import type { AdminStore, UserSummary } from "./admin-store";

/**
 * The operator's user tools (`axon user list`, `deactivate`, `reset-password`). They work on the
 * database only, so they run whether or not a server is up; a running server picks their changes
 * up from the account change log (account-changes.ts) within a couple of seconds.
 */
export class UserAdmin {
  constructor(
    private readonly store: AdminStore,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  list(): Promise<UserSummary[]> {
    return this.store.listUsers();
  }

  /** Deactivates `name` (a localpart or a user id of this server); returns the devices logged out. */
  async deactivate(name: string): Promise<{ userId: UserId; devices: DeviceId[] }> {
    const userId = this.userId(name);
    const devices = await this.store.deactivate(userId, this.clock.now());
    if (devices === null) throw new Error(`no such user: ${userId}`);
    return { userId, devices };
  }

  /** Sets a new password; unless `keepDevices`, logs out every device. Refused for a deactivated account. */
  async resetPassword(name: string, password: string, keepDevices: boolean): Promise<{ userId: UserId; devices: DeviceId[] }> {
    const userId = this.userId(name);
    if (password.length === 0) throw invalidParam("The password is empty.");
    const hash = await hashPassword(password);
    const devices = await this.store.resetPassword(userId, hash, keepDevices, this.clock.now());
    if (devices === null) {
      if (await this.store.isDeactivated(userId)) throw new Error(`${userId} is deactivated`);
      throw new Error(`no such user: ${userId}`);
    }
    return { userId, devices };
  }

  private userId(name: string): UserId {
    const id = name.startsWith("@") ? parseUserId(name) : parseUserId(userIdOf(name.toLowerCase(), this.serverName));
    if (!id || !id.endsWith(`:${this.serverName}`)) throw new Error(`not a user of ${this.serverName}: ${name}`);
    return id;
  }
}
