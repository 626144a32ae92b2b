import { notFound, type UserId } from "@axon/protocol";
import type { ProfileFieldStore, StoredProfileField } from "./profile-field-store";
import { checkKeyName, checkValue, MAX_PROFILE_BYTES, profileBytes, profileTooLarge } from "./profile-keys";

/** What the service needs of the accounts: the two historical fields live there. */
export interface ProfileAccounts {
  getUser(userId: UserId): Promise<{ displayname: string | null; avatarUrl: string | null } | null>;
  setProfile(userId: UserId, fields: { displayname?: string | null; avatarUrl?: string | null }): Promise<void>;
}

type Profile = Record<string, unknown>;

const HISTORICAL = new Set(["displayname", "avatar_url"]);

/**
 * Extended profile fields (spec v1.16, MSC4133) next to `displayname` and `avatar_url`, which stay
 * in the accounts store so both kinds of endpoint agree. Callers check who may write (the owner);
 * this checks keys, values and the 64 KiB limit. The server writes fields of its own through
 * `setByServer` / `removeByServer`, which never touch a value the user set.
 */
export class ProfileFieldService {
  constructor(
    private readonly store: ProfileFieldStore,
    private readonly accounts: ProfileAccounts,
  ) {}

  /** The whole profile (historical and extended fields), or null when there is no such user. */
  async profile(userId: UserId): Promise<Profile | null> {
    const user = await this.accounts.getUser(userId);
    if (!user) return null;
    return this.assemble(user, await this.store.list(userId));
  }

  /** The extended fields only (for GET /profile/{userId}, which reads the others itself). */
  async extendedFields(userId: UserId): Promise<Profile> {
    return this.assemble({ displayname: null, avatarUrl: null }, await this.store.list(userId));
  }

  /** One field's value; M_NOT_FOUND when the user or the field does not exist. */
  async get(userId: UserId, key: string): Promise<unknown> {
    checkKeyName(key);
    const profile = await this.profile(userId);
    if (!profile || !Object.hasOwn(profile, key)) throw notFound("Profile field not found.");
    return profile[key];
  }

  /** Sets a field as the user's own. Throws the spec's errors for a bad key, value or size. */
  async set(userId: UserId, key: string, value: unknown): Promise<void> {
    checkKeyName(key);
    checkValue(key, value);
    await this.assertFits(userId, key, value);
    if (key === "displayname") return this.accounts.setProfile(userId, { displayname: value as string | null });
    if (key === "avatar_url") return this.accounts.setProfile(userId, { avatarUrl: value as string | null });
    await this.store.put(userId, key, JSON.stringify(value));
  }

  /** Removes a field (also one the server set); removing an absent field is no error. */
  async remove(userId: UserId, key: string): Promise<void> {
    checkKeyName(key);
    if (key === "displayname") return this.accounts.setProfile(userId, { displayname: null });
    if (key === "avatar_url") return this.accounts.setProfile(userId, { avatarUrl: null });
    await this.store.delete(userId, key);
  }

  /** M_PROFILE_TOO_LARGE when the profile with `key` set to `value` would exceed 64 KiB. */
  async assertFits(userId: UserId, key: string, value: unknown): Promise<void> {
    if (!(await this.fits(userId, key, value))) throw profileTooLarge();
  }

  /** Writes a server field unless the user has set that key themselves, and within the size limit. */
  async setByServer(userId: UserId, key: string, value: unknown): Promise<boolean> {
    if (HISTORICAL.has(key) || !(await this.fits(userId, key, value))) return false;
    return this.store.putUnlessUserOwned(userId, key, JSON.stringify(value));
  }

  /** Removes a field only when the server set it. */
  removeByServer(userId: UserId, key: string): Promise<boolean> {
    return this.store.deleteIfServerOwned(userId, key);
  }

  /** Removes every server-set value of a key; returns whose. */
  removeAllByServer(key: string): Promise<UserId[]> {
    return this.store.deleteAllServerOwned(key);
  }

  private async fits(userId: UserId, key: string, value: unknown): Promise<boolean> {
    const profile = (await this.profile(userId)) ?? {};
    // A cleared historical field is absent from the profile.
    if (HISTORICAL.has(key) && value === null) delete profile[key];
    else profile[key] = value;
    return profileBytes(profile) <= MAX_PROFILE_BYTES;
  }

  private assemble(user: { displayname: string | null; avatarUrl: string | null }, fields: StoredProfileField[]): Profile {
    const profile: Profile = {};
    if (user.avatarUrl !== null) profile.avatar_url = user.avatarUrl;
    if (user.displayname !== null) profile.displayname = user.displayname;
    for (const f of fields) profile[f.key] = JSON.parse(f.value) as unknown;
    return profile;
  }
}
