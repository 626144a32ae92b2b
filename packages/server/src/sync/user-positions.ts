import type { UserId } from "@axon/protocol";

/**
 * The last stream position that concerned each user, in memory, so that an incremental /sync with
 * nothing new answers without touching the database. Users not seen since start-up report the
 * start-up position: a conservative "maybe" that costs one query, once.
 */
export class UserPositions {
  private readonly last = new Map<UserId, number>();
  private floor = 0;

  /** Called once the stream's start-up position is known. */
  setFloor(position: number): void {
    this.floor = position;
  }

  bump(users: Iterable<UserId>, position: number): void {
    for (const u of users) this.last.set(u, position);
  }

  /** Whether anything for the user may be newer than `from`; an initial sync (`from` null) always may. */
  changedSince(userId: UserId, from: number | null): boolean {
    return from === null || (this.last.get(userId) ?? this.floor) > from;
  }
}
