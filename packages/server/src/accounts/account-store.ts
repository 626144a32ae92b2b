import type { DeviceId, UserId } from "@axon/protocol";

export interface UserRecord {
  userId: UserId;
  passwordHash: string | null;
  isAdmin: boolean;
  displayname: string | null;
  avatarUrl: string | null;
}

export interface DeviceRecord {
  userId: UserId;
  deviceId: DeviceId;
  displayName: string | null;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
}

export interface TokenOwner {
  userId: UserId;
  deviceId: DeviceId;
}

/** Storage port for users, devices and access tokens. */
export interface AccountStore {
  /** Returns false when the user id is taken. */
  createUser(user: { userId: UserId; passwordHash: string | null; isAdmin: boolean; now: number }): Promise<boolean>;
  getUser(userId: UserId): Promise<UserRecord | null>;
  listUserIds(): Promise<UserId[]>;
  setProfile(userId: UserId, fields: { displayname?: string | null; avatarUrl?: string | null }): Promise<void>;

  /** Creates the device or keeps the existing one (a login may reuse a device id). */
  upsertDevice(device: { userId: UserId; deviceId: DeviceId; displayName: string | null; now: number }): Promise<void>;
  getDevice(userId: UserId, deviceId: DeviceId): Promise<DeviceRecord | null>;
  listDevices(userId: UserId): Promise<DeviceRecord[]>;
  setDeviceDisplayName(userId: UserId, deviceId: DeviceId, name: string | null): Promise<boolean>;
  /** Deletes the device and its tokens; returns the hashes of the tokens deleted. */
  deleteDevice(userId: UserId, deviceId: DeviceId): Promise<string[]>;

  addToken(tokenHash: string, owner: TokenOwner, now: number): Promise<void>;
  getTokenOwner(tokenHash: string): Promise<TokenOwner | null>;
  /** Deletes every token of the user and every device; returns the hashes. */
  deleteAllDevices(userId: UserId): Promise<string[]>;
}
