import { Samples } from "./stats";

/**
 * Matches presence changes (PUTs) to what each watcher's /sync returns.
 *
 * A response carries at most one presence event per user, the latest, so a quick second change
 * can hide the first one. Rule: when a watcher sees state S for sender X at time T, the most
 * recent pending change of X with state S sent before T is seen, and so is every earlier pending
 * change of X for that watcher (it was superseded); each counts with its own delay T - sentAt.
 */

interface Pending {
  state: string;
  sentAt: number;
}

export type EventVerdict = "seen" | "unmatched" | "unexpected";

export interface DeliveryCounts {
  changes: number;
  expected: number;
  seen: number;
  lost: number;
  /** Events from a visible sender that match no pending change (echoes of old states, timer transitions). */
  unmatched: number;
  /** Events from a sender the watcher shares no room with: a visibility leak. */
  unexpected: number;
  /** The unmatched events by presence state (timer transitions show up as offline/unavailable). */
  unmatched_by_state: Record<string, number>;
  /** Deliveries no longer expected because their PUT was not acknowledged (see withdraw); absent when none. */
  withdrawn?: number;
}

export class DeliveryTracker {
  private readonly pending: (Map<number, Pending[]> | undefined)[] = [];
  private changes = 0;
  private expected = 0;
  private seen = 0;
  private unmatched = 0;
  private unexpected = 0;
  private withdrawn = 0;
  /** Called for every delivery matched, superseded ones included, with its change's send time. */
  onSeen: ((sentAt: number, at: number) => void) | null = null;
  private readonly unmatchedByState: Record<string, number> = {};
  readonly latencies = new Samples();

  /** `canSee(watcher, sender)`: whether an event from sender may reach watcher at all. */
  constructor(private readonly canSee: (watcher: number, sender: number) => boolean) {}

  /** A change sent at `sentAt` that each of `recipients` must see; returns how many. */
  recordChange(sender: number, state: string, sentAt: number, recipients: readonly number[]): number {
    this.changes++;
    for (const w of recipients) {
      let bySender = this.pending[w];
      if (!bySender) this.pending[w] = bySender = new Map();
      let list = bySender.get(sender);
      if (!list) bySender.set(sender, (list = []));
      list.push({ state, sentAt });
    }
    this.expected += recipients.length;
    return recipients.length;
  }

  /** A presence event (sender, state) in the /sync response that `watcher` received at `at`. */
  recordEvent(watcher: number, sender: number, state: string, at: number): EventVerdict {
    const list = this.pending[watcher]?.get(sender);
    let match = -1;
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        const p = list[i] as Pending;
        if (p.state === state && p.sentAt <= at) {
          match = i;
          break;
        }
      }
    }
    if (match < 0 || !list) {
      if (!this.canSee(watcher, sender)) {
        this.unexpected++;
        return "unexpected";
      }
      this.unmatched++;
      this.unmatchedByState[state] = (this.unmatchedByState[state] ?? 0) + 1;
      return "unmatched";
    }
    for (let i = 0; i <= match; i++) {
      const sentAt = (list[i] as Pending).sentAt;
      this.latencies.push(at - sentAt);
      this.onSeen?.(sentAt, at);
    }
    this.seen += match + 1;
    list.splice(0, match + 1);
    if (list.length === 0) this.pending[watcher]?.delete(sender);
    return "seen";
  }

  /**
   * A change whose PUT failed need not arrive (a server may have refused it): its deliveries still
   * pending are no longer expected. Those already seen stay seen; if one arrives later it is
   * unmatched. Returns how many were withdrawn.
   */
  withdraw(sender: number, state: string, sentAt: number, recipients: readonly number[]): number {
    let n = 0;
    for (const w of recipients) {
      const list = this.pending[w]?.get(sender);
      const i = list ? list.findIndex((p) => p.sentAt === sentAt && p.state === state) : -1;
      if (!list || i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.pending[w]?.delete(sender);
      n++;
    }
    this.expected -= n;
    this.withdrawn += n;
    return n;
  }

  /** Deliveries still awaited. */
  outstanding(): number {
    return this.expected - this.seen;
  }

  counts(): DeliveryCounts {
    return {
      changes: this.changes,
      expected: this.expected,
      seen: this.seen,
      lost: this.expected - this.seen,
      unmatched: this.unmatched,
      unexpected: this.unexpected,
      unmatched_by_state: { ...this.unmatchedByState },
      ...(this.withdrawn > 0 && { withdrawn: this.withdrawn }),
    };
  }
}
