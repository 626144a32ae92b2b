import type { RoomId, UserId } from "@axon/protocol";
import type { MembershipIndex } from "../rooms/membership-index";
import type { Hangup, HangupListener } from "./hangup";

/**
 * One waiting long-poll. A class rather than closures: this runs for every /sync, and each named
 * closure made per call costs a `__name` call under tsx.
 */
class Waiter implements HangupListener {
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly all: Map<UserId, Set<Waiter>>,
    private readonly userId: UserId,
    private readonly resolve: (woken: boolean) => void,
    private readonly hangup: Hangup | undefined,
    ms: number,
  ) {
    this.timer = setTimeout(timedOut, ms, this);
    hangup?.listen(this);
  }

  finish(woken: boolean): void {
    clearTimeout(this.timer);
    this.hangup?.listen(null);
    const set = this.all.get(this.userId);
    set?.delete(this);
    if (set?.size === 0) this.all.delete(this.userId);
    this.resolve(woken);
  }

  onHangup(): void {
    this.finish(false);
  }
}

function timedOut(w: Waiter): void {
  w.finish(false);
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
      set.add(new Waiter(this.waiters, userId, resolve, hangup, ms));
    });
  }

  /** Something for these users changed. */
  wakeUsers(userIds: Iterable<UserId>): void {
    for (const u of userIds) {
      this.epochs.set(u, this.epoch(u) + 1);
      const set = this.waiters.get(u);
      if (set) for (const w of [...set]) w.finish(true);
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
