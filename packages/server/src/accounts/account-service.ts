import {
  forbidden,
  invalidUsername,
  isValidLocalpart,
  MatrixError,
  unknownToken,
  userIdOf,
  userInUse,
  type DeviceId,
  type UserId,
} from "@axon/protocol";
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import type { AccountStore, DeviceRecord, TokenOwner } from "./account-store";
import { hashPassword, verifyPassword } from "./password";
import { hashToken, newAccessToken, newDeviceId } from "./tokens";

export interface Session extends TokenOwner {
  accessToken: string;
}

/** Who made a request: resolved from the access token. */
export interface Requester extends TokenOwner {
  isAdmin: boolean;
}

const TOKEN_CACHE_MAX = 100_000;

let dummy: Promise<string> | null = null;
/** A hash of a random password, made once, for failed logins of accounts that do not exist. */
const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString("hex")));

/** Users, devices, logins and tokens. */
export class AccountService {
  /**
   * access token → owner: every authenticated request (each /sync) would otherwise query, and
   * keying by the token itself spares a SHA-256 per request (3 % of the server in profiles).
   */
  private readonly tokenCache = new Map<string, Requester>();
  /** token hash → cached token: the store names the tokens it deleted by hash. */
  private readonly cachedByHash = new Map<string, string>();
  private readonly profileListeners: ((userId: UserId) => Promise<void>)[] = [];
  private readonly removalListeners: ((userId: UserId, deviceIds: DeviceId[]) => Promise<void>)[] = [];
  /** Awaited after tokens are deleted, before the answer (in a cluster: until every process dropped them). */
  private tokensRevoked: (hashes: string[]) => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly store: AccountStore,
    private readonly clock: Clock,
    readonly serverName: string,
    /** Told when a device (and its tokens) goes away, so presence forgets it. */
    private readonly onDeviceRemoved: (userId: UserId, deviceId: DeviceId) => void = () => {},
  ) {}

  /** Checks a localpart for a new account: lower case, the spec's character set. */
  checkLocalpart(localpart: string): void {
    if (!isValidLocalpart(localpart)) {
      throw invalidUsername("User ID may only contain a-z, 0-9, '.', '_', '=', '-', '/' and '+'.");
    }
    if (userIdOf(localpart, this.serverName).length > 255) throw invalidUsername("User ID is too long.");
  }

  async isAvailable(localpart: string): Promise<boolean> {
    this.checkLocalpart(localpart);
    return (await this.store.getUser(userIdOf(localpart, this.serverName))) === null;
  }

  async createUser(localpart: string, password: string | null, isAdmin = false): Promise<UserId> {
    this.checkLocalpart(localpart);
    const userId = userIdOf(localpart, this.serverName);
    const passwordHash = password === null ? null : await hashPassword(password);
    const created = await this.store.createUser({ userId, passwordHash, isAdmin, now: this.clock.now() });
    if (!created) throw userInUse();
    return userId;
  }

  userExists(userId: UserId): Promise<boolean> {
    return this.store.getUser(userId).then((u) => u !== null);
  }

  getUser(userId: UserId) {
    return this.store.getUser(userId);
  }

  /** Password login; the same error whether the user is unknown or the password wrong. */
  async checkPassword(userId: UserId, password: string): Promise<void> {
    const user = await this.store.getUser(userId);
    // No account (or no password): check against a dummy hash all the same, so that a failure
    // takes as long either way and the time does not tell which accounts exist.
    const ok = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, await dummyHash()).then(() => false);
    if (!ok) throw forbidden("Invalid username or password.");
  }

  /** Opens a session on a new or existing device. */
  async startSession(userId: UserId, deviceId: DeviceId | null, displayName: string | null): Promise<Session> {
    const id = deviceId ?? (newDeviceId() as DeviceId);
    await this.store.upsertDevice({ userId, deviceId: id, displayName, now: this.clock.now() });
    const accessToken = newAccessToken();
    await this.store.addToken(hashToken(accessToken), { userId, deviceId: id }, this.clock.now());
    return { userId, deviceId: id, accessToken };
  }

  /** Resolves an access token; 401 M_UNKNOWN_TOKEN when it is not live. */
  async authenticate(token: string): Promise<Requester> {
    const cached = this.tokenCache.get(token);
    if (cached) return cached;
    const hash = hashToken(token);
    const owner = await this.store.getTokenOwner(hash);
    if (!owner) throw unknownToken();
    const user = await this.store.getUser(owner.userId);
    if (!user) throw unknownToken();
    const requester: Requester = { ...owner, isAdmin: user.isAdmin };
    if (this.tokenCache.size >= TOKEN_CACHE_MAX) {
      this.tokenCache.clear();
      this.cachedByHash.clear();
    }
    this.tokenCache.set(token, requester);
    this.cachedByHash.set(hash, token);
    return requester;
  }

  /** Logs out one device: its tokens and the device itself go. */
  async logout(userId: UserId, deviceId: DeviceId): Promise<void> {
    await this.deleteDevice(userId, deviceId);
  }

  async logoutAll(userId: UserId): Promise<void> {
    const devices = await this.store.listDevices(userId);
    await this.revoke(await this.store.deleteAllDevices(userId));
    for (const d of devices) this.onDeviceRemoved(userId, d.deviceId);
    await this.devicesRemoved(userId, devices.map((d) => d.deviceId));
  }

  listDevices(userId: UserId): Promise<DeviceRecord[]> {
    return this.store.listDevices(userId);
  }

  async getDevice(userId: UserId, deviceId: DeviceId): Promise<DeviceRecord> {
    const d = await this.store.getDevice(userId, deviceId);
    if (!d) throw new MatrixError(404, "M_NOT_FOUND", "Unknown device.");
    return d;
  }

  async renameDevice(userId: UserId, deviceId: DeviceId, name: string | null): Promise<void> {
    if (!(await this.store.setDeviceDisplayName(userId, deviceId, name))) {
      throw new MatrixError(404, "M_NOT_FOUND", "Unknown device.");
    }
  }

  async deleteDevice(userId: UserId, deviceId: DeviceId): Promise<void> {
    await this.revoke(await this.store.deleteDevice(userId, deviceId));
    this.onDeviceRemoved(userId, deviceId);
    await this.devicesRemoved(userId, [deviceId]);
  }

  /** Told (and awaited) after devices were deleted, so their encryption keys go before the answer. */
  onDevicesRemoved(listener: (userId: UserId, deviceIds: DeviceId[]) => Promise<void>): void {
    this.removalListeners.push(listener);
  }

  private async devicesRemoved(userId: UserId, deviceIds: DeviceId[]): Promise<void> {
    for (const l of this.removalListeners) await l(userId, deviceIds);
  }

  /** Sets the display name and/or avatar, then waits for the listeners (rooms update the user's member events). */
  async setProfile(userId: UserId, fields: { displayname?: string | null; avatarUrl?: string | null }): Promise<void> {
    await this.store.setProfile(userId, fields);
    for (const l of this.profileListeners) await l(userId);
  }

  /** Told after a user's display name or avatar changed. */
  onProfileChanged(listener: (userId: UserId) => Promise<void>): void {
    this.profileListeners.push(listener);
  }

  /** Drops every cached token of the user: something outside this process deleted them (`axon user deactivate`). */
  forgetUser(userId: UserId): void {
    for (const [token, who] of this.tokenCache) {
      if (who.userId !== userId) continue;
      this.tokenCache.delete(token);
      this.cachedByHash.delete(hashToken(token));
    }
  }

  /** Set once by the cluster: how deleted tokens are made unusable on the other processes before the answer. */
  onTokensRevoked(fn: (hashes: string[]) => Promise<void>): void {
    this.tokensRevoked = fn;
  }

  /** Drops cached tokens by hash: another process deleted them. */
  forgetTokens(hashes: string[]): void {
    this.forget(hashes);
  }

  /** Drops every cached token (after missed messages, in a cluster): each is looked up again once. */
  forgetAllTokens(): void {
    this.tokenCache.clear();
    this.cachedByHash.clear();
  }

  private async revoke(hashes: string[]): Promise<void> {
    this.forget(hashes);
    if (hashes.length > 0) await this.tokensRevoked(hashes);
  }

  private forget(hashes: string[]): void {
    for (const h of hashes) {
      const token = this.cachedByHash.get(h);
      if (token === undefined) continue;
      this.tokenCache.delete(token);
      this.cachedByHash.delete(h);
    }
  }
}
