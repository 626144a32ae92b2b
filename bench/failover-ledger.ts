/**
 * What the failover run checks afterwards: every acknowledged presence PUT is reflected. Each PUT
 * carries a status message naming its sequence number (timers never change a status message), so
 * a user's final presence read from a surviving process tells which of their PUTs it is.
 */

export type AckVerdict = "ok" | "later-unacknowledged" | "lost";

/** The status message of change `seq`. */
export const statusMsgOf = (seq: number) => `bench-change-${seq}`;

/** States that end by timer when no device syncs (sync_timeout): read back as offline, still right. */
const TIMED = new Set(["online", "unavailable"]);

interface Put {
  seq: number;
  state: string;
}

export class AckLedger {
  private readonly acked = new Map<number, Put>();
  private readonly unacked = new Map<number, Put[]>();

  /** A PUT's outcome: acknowledged (200), or not (an error or no answer: it may still have been applied). */
  settled(user: number, seq: number, state: string, acknowledged: boolean): void {
    if (!acknowledged) {
      const list = this.unacked.get(user) ?? [];
      list.push({ seq, state });
      this.unacked.set(user, list);
      return;
    }
    const prev = this.acked.get(user);
    if (!prev || prev.seq < seq) this.acked.set(user, { seq, state });
  }

  /** Users with at least one acknowledged PUT: those to read back. */
  users(): number[] {
    return [...this.acked.keys()].sort((a, b) => a - b);
  }

  /**
   * The final presence read back for `user`: "ok" when it is their last acknowledged PUT (a
   * timed state may have become offline), "later-unacknowledged" when it is a later PUT that got no
   * 200 (it may have been applied: not a loss), otherwise "lost".
   */
  verify(user: number, observed: { presence?: unknown; status_msg?: unknown }): AckVerdict {
    const last = this.acked.get(user);
    if (!last) return "ok";
    const msg = observed.status_msg;
    if (msg === statusMsgOf(last.seq)) {
      const same = observed.presence === last.state || (observed.presence === "offline" && TIMED.has(last.state));
      return same ? "ok" : "lost";
    }
    const later = (this.unacked.get(user) ?? []).some((p) => p.seq > last.seq && msg === statusMsgOf(p.seq));
    return later ? "later-unacknowledged" : "lost";
  }
}
