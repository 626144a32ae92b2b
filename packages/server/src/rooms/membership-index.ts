import type { RoomId, UserId } from "@axon/protocol";

export interface MembershipChange {
  roomId: RoomId;
  userId: UserId;
  /** true: the user just joined; false: the user just stopped being joined (left, kicked, banned). */
  joined: boolean;
}

const EMPTY: ReadonlySet<never> = new Set();

/**
 * Who is joined to which room, in memory. Presence visibility and notifier fan-out read it on
 * every change, so it never touches the database; the rooms service keeps it in step with
 * membership events and fills it at start-up.
 */
export class MembershipIndex {
  private readonly roomsByUser = new Map<UserId, Set<RoomId>>();
  private readonly membersByRoom = new Map<RoomId, Set<UserId>>();
  private readonly listeners: ((change: MembershipChange) => void)[] = [];

  /** Records a join; no-op (and no event) when already joined. */
  join(roomId: RoomId, userId: UserId): void {
    let members = this.membersByRoom.get(roomId);
    if (!members) this.membersByRoom.set(roomId, (members = new Set()));
    if (members.has(userId)) return;
    members.add(userId);
    let rooms = this.roomsByUser.get(userId);
    if (!rooms) this.roomsByUser.set(userId, (rooms = new Set()));
    rooms.add(roomId);
    this.emit({ roomId, userId, joined: true });
  }

  /** Records that the user is no longer joined; no-op when they were not. */
  leave(roomId: RoomId, userId: UserId): void {
    const members = this.membersByRoom.get(roomId);
    if (!members?.delete(userId)) return;
    if (members.size === 0) this.membersByRoom.delete(roomId);
    const rooms = this.roomsByUser.get(userId);
    rooms?.delete(roomId);
    if (rooms?.size === 0) this.roomsByUser.delete(userId);
    this.emit({ roomId, userId, joined: false });
  }

  roomsOf(userId: UserId): ReadonlySet<RoomId> {
    return this.roomsByUser.get(userId) ?? EMPTY;
  }

  joinedMembers(roomId: RoomId): ReadonlySet<UserId> {
    return this.membersByRoom.get(roomId) ?? EMPTY;
  }

  isJoined(roomId: RoomId, userId: UserId): boolean {
    return this.membersByRoom.get(roomId)?.has(userId) ?? false;
  }

  /** True when both are joined to at least one common room (a user always "shares" with themself). */
  sharesRoom(a: UserId, b: UserId): boolean {
    if (a === b) return true;
    const ra = this.roomsOf(a);
    const rb = this.roomsOf(b);
    const [small, big] = ra.size <= rb.size ? [ra, rb] : [rb, ra];
    for (const r of small) if (big.has(r)) return true;
    return false;
  }

  /** Everyone joined to a room the user is joined to, the user included. */
  audience(userId: UserId): Set<UserId> {
    const out = new Set<UserId>([userId]);
    for (const r of this.roomsOf(userId)) for (const m of this.joinedMembers(r)) out.add(m);
    return out;
  }

  /** Listeners run synchronously after each change. */
  onChange(listener: (change: MembershipChange) => void): void {
    this.listeners.push(listener);
  }

  private emit(change: MembershipChange): void {
    for (const l of this.listeners) l(change);
  }
}
