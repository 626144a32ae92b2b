import type { RoomId, UserId } from "@axon/protocol";
import type { MembershipIndex } from "../rooms/membership-index";
import type { Hangup } from "./hangup";

interface Waiter {
  resolve: (woken: boolean) => void;
  cancel: () => void;
}

/**
 * Wakes the long-polling /sync requests that care about a change, and only those.
 *
 * Race-free use: read `epoch(user)` before computing a sync response; if the response is empty,
 * `wait(user, epoch, ms)` returns at once when anything was signalled for the user in between.
 */
export class Notifier {
  private readonly epochs = new Map<UserId, number>();
  private readonly waiters = new Map<UserId, Set<Waiter>>();

  constructor(private readonly membership: MembershipIndex) {}

  epoch(userId: UserId): number {
    return this.epochs.get(userId) ?? 0;
  }

  /** Resolves true when woken, false when ms elapse (or the client hangs up). */
  wait(userId: UserId, sinceEpoch: number, ms: number, hangup?: Hangup): Promise<boolean> {
    if (this.epoch(userId) !== sinceEpoch) return Promise.resolve(true);
    if (ms <= 0 || hangup?.happened) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(userId);
      if (!set) this.waiters.set(userId, (set = new Set()));
      const done = (woken: boolean) => {
        clearTimeout(timer);
        hangup?.listen(null);
        const s = this.waiters.get(userId);
        s?.delete(waiter);
        if (s?.size === 0) this.waiters.delete(userId);
        resolve(woken);
      };
      const onAbort = () => done(false);
      const waiter: Waiter = { resolve: done, cancel: onAbort };
      const timer = setTimeout(() => done(false), ms);
      hangup?.listen(onAbort);
      set.add(waiter);
    });
  }

  /** Something for these users changed. */
  wakeUsers(userIds: Iterable<UserId>): void {
    for (const u of userIds) {
      this.epochs.set(u, this.epoch(u) + 1);
      const set = this.waiters.get(u);
      if (set) for (const w of [...set]) w.resolve(true);
    }
  }

  /** Something in a room changed: wake its joined members (plus any extra, e.g. an invitee). */
  wakeRoom(roomId: RoomId, extra: Iterable<UserId> = []): void {
    this.wakeUsers(this.membership.joinedMembers(roomId));
    this.wakeUsers(extra);
  }

  /** Number of long-polls waiting now (for metrics and tests). */
  waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
