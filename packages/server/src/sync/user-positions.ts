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

  changedSince(userId: UserId, from: number): boolean {
    return (this.last.get(userId) ?? this.floor) > from;
  }
}
