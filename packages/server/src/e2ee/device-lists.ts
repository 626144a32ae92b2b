import type { UserId } from "@axon/protocol";
import type { MembershipChange, MembershipIndex } from "../rooms/membership-index";
import type { Notifier } from "../sync/notifier";
import { Serial } from "../sync/serial";
import type { StreamProvider, SyncRequest, SyncResponse } from "../sync/stream-provider";
import { UserPositions } from "../sync/user-positions";
import type { DeviceListRow, DeviceListStore, ListChange } from "./e2ee-store";

export interface DeviceListDelta {
  changed: UserId[];
  left: UserId[];
}

/**
 * The device-list stream: who must hear that whose devices or cross-signing keys changed, and who
 * no longer shares a room with whom. Each change is one stream position, written as one row per
 * observer in the same transaction as the key change; positions commit in order (one writer).
 */
export class DeviceLists {
  private readonly serial = new Serial();
  private position = 0;
  readonly positions = new UserPositions();
  /** In a cluster, a follower: another process writes the rows (membership changes included); this one only follows. */
  following = false;
  private readonly publishedListeners: ((position: number, observers: ReadonlySet<UserId>) => void)[] = [];

  constructor(
    private readonly store: DeviceListStore,
    private readonly membership: MembershipIndex,
    private readonly notifier: Notifier,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.position = await this.store.maxPosition();
    this.positions.setFloor(this.position);
    this.membership.onChange((c) => this.membershipChanged(c));
  }

  latest(): number {
    return this.position;
  }

  /**
   * Runs `write` with a change telling everyone who shares a room with the subjects (and the
   * subjects themselves) that their devices changed; `write` commits it with its own data.
   */
  keysChanged<T>(subjects: UserId[], write: (change: ListChange) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      const rows: DeviceListRow[] = [];
      for (const subject of subjects) for (const observer of this.membership.audience(subject)) rows.push({ observer, subject, changed: true });
      const change = { position: this.position + 1, rows };
      const out = await write(change);
      this.published(change);
      return out;
    });
  }

  /** Rows for one observer in (from, to], reduced to the last word on each subject. */
  async delta(observer: UserId, from: number, to: number): Promise<DeviceListDelta> {
    const last = new Map<UserId, boolean>();
    for (const r of await this.store.since(observer, from, to)) last.set(r.subject, r.changed);
    const changed: UserId[] = [];
    const left: UserId[] = [];
    for (const [subject, isChanged] of last) (isChanged ? changed : left).push(subject);
    return { changed, left };
  }

  /** Told about each change written here: its position and who must hear of it. */
  onPublished(listener: (position: number, observers: ReadonlySet<UserId>) => void): void {
    this.publishedListeners.push(listener);
  }

  /** In a cluster: a change another process wrote (`observers` null: not known, e.g. after missed messages — everyone may have news). */
  follow(position: number, observers: UserId[] | null): void {
    if (position <= this.position) return;
    this.position = position;
    if (observers === null) {
      this.positions.setFloor(position);
      return;
    }
    this.positions.bump(observers, position);
    this.notifier.wakeUsers(observers);
  }

  /** Starting to share a first room is a change on both sides; sharing none any more is `left`. */
  private membershipChanged(c: MembershipChange): void {
    if (this.following) return;
    const rows: DeviceListRow[] = [];
    for (const other of this.membership.joinedMembers(c.roomId)) {
      if (other === c.userId) continue;
      const sharedElsewhere = this.sharesOtherRoom(c.userId, other, c.roomId);
      if (sharedElsewhere) continue;
      rows.push({ observer: other, subject: c.userId, changed: c.joined }, { observer: c.userId, subject: other, changed: c.joined });
    }
    if (rows.length === 0) return;
    void this.serial.run(async () => {
      const change = { position: this.position + 1, rows };
      await this.store.add(change);
      this.published(change);
    }).catch(this.onError);
  }

  private sharesOtherRoom(a: UserId, b: UserId, except: string): boolean {
    const rb = this.membership.roomsOf(b);
    for (const r of this.membership.roomsOf(a)) if (r !== except && rb.has(r)) return true;
    return false;
  }

  private published(change: ListChange): void {
    this.position = change.position;
    const observers = new Set(change.rows.map((r) => r.observer));
    this.positions.bump(observers, change.position);
    for (const l of this.publishedListeners) l(change.position, observers);
    this.notifier.wakeUsers(observers);
  }
}

/** `device_lists.changed` / `left` in incremental syncs. */
export class DeviceListProvider implements StreamProvider {
  readonly key = "device_lists";

  constructor(private readonly lists: DeviceLists) {}

  latest(): number {
    return this.lists.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean> {
    if (from === null || !this.lists.positions.changedSince(req.userId, from)) return false;
    return this.lists.delta(req.userId, from, to).then((d) => {
      if (d.changed.length === 0 && d.left.length === 0) return false;
      res.device_lists = { changed: d.changed, left: d.left };
      return true;
    });
  }
}
