import type { DeviceId, UserId } from "@axon/protocol";

export interface UserSummary {
  userId: UserId;
  isAdmin: boolean;
  deactivated: boolean;
  createdTs: number;
  devices: number;
}

/** What happened to an account outside the server, for a running server to apply. */
export interface AccountChange {
  id: number;
  userId: UserId;
  kind: "deactivated" | "logged_out";
  /** The devices (and their tokens) that were removed. */
  devices: DeviceId[];
}

/** Storage port for operator tools (`axon user ...`) and the server's watcher of their changes. */
export interface AdminStore {
  listUsers(): Promise<UserSummary[]>;
  /**
   * In one transaction: marks the user deactivated, clears the password, removes every device
   * and token, and logs the change. Returns the devices removed, or null when there is no such user.
   */
  deactivate(userId: UserId, now: number): Promise<DeviceId[] | null>;
  /**
   * Sets a new password hash; unless `keepDevices`, also removes every device and token and logs
   * the change. Returns the devices removed, or null when there is no such (active) user.
   */
  resetPassword(userId: UserId, passwordHash: string, keepDevices: boolean, now: number): Promise<DeviceId[] | null>;
  /** Changes logged after `afterId`, oldest first. */
  changesSince(afterId: number): Promise<AccountChange[]>;
  isDeactivated(userId: UserId): Promise<boolean>;
}
