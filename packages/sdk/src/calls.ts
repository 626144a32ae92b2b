import { rtcMembershipEnd, RTC_MEMBER_TYPES } from "@axon/protocol";
import type { Clock } from "./clock";
import type { MatrixEvent, SyncResponse } from "./types";

/** A 1:1 call event older than this when first seen is history, not a call in progress. */
const VOIP_MAX_AGE_MS = 3_600_000;

export interface CallChange {
  key: string;
  live: boolean;
  /** When a live call's membership expires by itself (clock time), if it says. */
  endsAt: number | null;
}

/**
 * Finds the user's own calls in sync: MatrixRTC memberships they sent (any of their devices), and
 * 1:1 VoIP calls they answered or whose invite they sent and the other side answered, until a hangup
 * or reject. 1:1 events in an initial sync are history and are skipped.
 */
export class CallWatcher {
  /** VoIP call key → whether we sent its invite. */
  private readonly ringing = new Map<string, boolean>();

  constructor(
    private readonly ownUserId: string,
    private readonly clock: Clock,
  ) {}

  /** The calls that started or ended in one sync response, the last word per call. */
  observe(res: SyncResponse, initial: boolean): CallChange[] {
    const changes: CallChange[] = [];
    for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
      for (const ev of room.state?.events ?? []) this.rtc(roomId, ev, changes);
      for (const ev of room.timeline?.events ?? []) {
        if (ev.state_key !== undefined) this.rtc(roomId, ev, changes);
        else if (!initial) this.voip(roomId, ev, changes);
      }
    }
    // Leaving a room ends its calls for us.
    for (const [roomId, room] of Object.entries(res.rooms?.leave ?? {})) {
      for (const ev of [...(room.state?.events ?? []), ...(room.timeline?.events ?? [])]) {
        if (RTC_MEMBER_TYPES.includes(ev.type) && ev.sender === this.ownUserId) changes.push({ key: rtcKey(roomId, ev), live: false, endsAt: null });
      }
    }
    // A room's state section comes before its timeline: a later change of the same call wins.
    const last = new Map<string, CallChange>();
    for (const c of changes) {
      last.delete(c.key);
      last.set(c.key, c);
    }
    return [...last.values()];
  }

  private rtc(roomId: string, ev: MatrixEvent, out: CallChange[]): void {
    if (!RTC_MEMBER_TYPES.includes(ev.type) || ev.sender !== this.ownUserId || typeof ev.content !== "object" || ev.content === null) return;
    const end = rtcMembershipEnd(ev.content, ev.origin_server_ts ?? this.clock.now());
    const live = end !== null && end > this.clock.now();
    out.push({ key: rtcKey(roomId, ev), live, endsAt: live ? end : null });
  }

  private voip(roomId: string, ev: MatrixEvent, out: CallChange[]): void {
    const callId = ev.content.call_id;
    if (typeof callId !== "string" || !ev.type.startsWith("m.call.")) return;
    if ((ev.unsigned?.age ?? 0) > VOIP_MAX_AGE_MS) return;
    const key = `voip|${roomId}|${callId}`;
    const mine = ev.sender === this.ownUserId;
    switch (ev.type) {
      case "m.call.invite":
        this.ringing.set(key, mine);
        break;
      case "m.call.answer":
        if (mine || this.ringing.get(key) === true) out.push({ key, live: true, endsAt: null });
        this.ringing.delete(key);
        break;
      case "m.call.hangup":
      case "m.call.reject":
        this.ringing.delete(key);
        out.push({ key, live: false, endsAt: null });
        break;
    }
  }
}

const rtcKey = (roomId: string, ev: MatrixEvent) => `rtc|${roomId}|${ev.type}|${ev.state_key ?? ""}`;
