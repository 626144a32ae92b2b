import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { AccountService } from "../accounts/account-service";
import type { PresenceService } from "../presence/presence-service";
import type { MembershipIndex } from "../rooms/membership-index";
import type { RoomService } from "../rooms/room-service";
import type { AccountChange, AdminStore } from "./admin-store";

/** The device the server acts as when it leaves a deactivated user's rooms. */
const ADMIN_DEVICE = "AXON_ADMIN" as DeviceId;

export interface AccountChangeDeps {
  store: AdminStore;
  accounts: AccountService;
  presence: PresenceService;
  rooms: RoomService;
  membership: MembershipIndex;
  log: Logger;
  /** Told about the devices a change removed (their pushers go too); may be told again after a restart. */
  devicesRemoved?: (userId: UserId, deviceIds: DeviceId[]) => Promise<void>;
  /** How often to look for new changes. */
  pollMs: number;
}

/**
 * Applies, in a running server, what operator tools changed in the database (`axon user
 * deactivate`, `reset-password`): the tokens they deleted stop working at once here too (the token
 * cache forgets them), the removed devices stop counting for presence, and a deactivated user
 * goes offline and leaves every room with a real leave event. It reads the change log once at
 * start (so a deactivation made while no server ran is finished then) and then every `pollMs`:
 * one indexed query, whatever the load.
 */
export class AccountChangeWatcher {
  private last = 0;
  /**
   * In a cluster only the owner acts (leaves rooms, presence, pushers); every other process only
   * forgets the tokens. A process that becomes the owner reads the whole log again (`promote`).
   */
  private acting = true;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: AccountChangeDeps) {}

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.poll());
    }, this.d.pollMs);
    this.timer.unref();
  }

  /** Cluster follower: from now on only drop cached tokens. */
  follow(): void {
    this.acting = false;
  }

  /** Cluster: this process became the owner; applies the whole log again (every step is idempotent). */
  async promote(): Promise<void> {
    this.acting = true;
    this.running = this.running.then(() => {
      this.last = 0;
      return this.poll();
    });
    await this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Reads and applies the changes since the last look (also callable directly, e.g. by tests). */
  async poll(): Promise<void> {
    try {
      for (const change of await this.d.store.changesSince(this.last)) {
        await this.apply(change);
        this.last = change.id;
      }
    } catch (err) {
      this.d.log.error({ err }, "applying account changes failed");
    }
  }

  private async apply(c: AccountChange): Promise<void> {
    const { accounts, presence, membership } = this.d;
    accounts.forgetUser(c.userId);
    if (!this.acting) return;
    if (c.kind === "deactivated") {
      for (const roomId of [...membership.roomsOf(c.userId)]) await this.leave(c.userId, roomId);
    }
    for (const d of c.devices) presence.deviceRemoved(c.userId, d);
    await this.d.devicesRemoved?.(c.userId, c.devices);
    // Busy outlives devices (it is sticky); a deactivated user is offline whatever they chose.
    if (c.kind === "deactivated" && presence.current(c.userId).state !== "offline") {
      await presence.setPresence(c.userId, ADMIN_DEVICE, "offline", null);
      presence.deviceRemoved(c.userId, ADMIN_DEVICE);
    }
    this.d.log.info({ userId: c.userId, kind: c.kind, devices: c.devices.length }, "applied an account change");
  }

  private async leave(userId: UserId, roomId: RoomId): Promise<void> {
    try {
      await this.d.rooms.leave({ userId, deviceId: ADMIN_DEVICE }, roomId);
    } catch (err) {
      this.d.log.warn({ err, userId, roomId }, "could not leave a room for a deactivated user");
    }
  }
}
