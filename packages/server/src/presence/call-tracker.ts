import { rtcMembershipEnd, RTC_MEMBER_TYPES, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { PersistedEvent } from "./presence-hooks";

const RTC_TYPES = new Set(RTC_MEMBER_TYPES);
const MAX_RINGING = 10_000;

/**
 * Follows the calls the server can see and says when a user enters their first call and leaves
 * their last one: MatrixRTC membership state events (honouring their expiry) and 1:1 VoIP
 * (`m.call.answer` puts inviter and answerer in a call until a hangup or reject of that call_id).
 * In memory only: after a restart, a call whose end is then never seen ends by the busy lease.
 */
export class CallTracker {
  /** Call key → users in it and the expiry timer. */
  private readonly calls = new Map<string, { users: UserId[]; cancel: () => void }>();
  private readonly keysByUser = new Map<UserId, Set<string>>();
  /** VoIP call_id → who sent the invite (until answered, hung up or rejected). */
  private readonly ringing = new Map<string, UserId>();

  constructor(
    private readonly clock: Clock,
    private readonly joined: (userId: UserId) => void,
    private readonly left: (userId: UserId) => void,
  ) {}

  eventPersisted(ev: PersistedEvent): void {
    const sender = ev.sender as UserId;
    if (RTC_TYPES.has(ev.type) && ev.state_key !== undefined) {
      const key = `rtc\u0000${ev.room_id}\u0000${ev.state_key}`;
      const end = rtcMembershipEnd(ev.content, ev.origin_server_ts);
      if (end === null || end <= this.clock.now()) this.end(key);
      else this.start(key, [sender], end);
      return;
    }
    const callId = typeof ev.content.call_id === "string" ? ev.content.call_id : null;
    if (callId === null) return;
    const key = `voip\u0000${ev.room_id}\u0000${callId}`;
    switch (ev.type) {
      case "m.call.invite":
        if (this.ringing.size >= MAX_RINGING) this.ringing.clear();
        this.ringing.set(key, sender);
        break;
      case "m.call.answer": {
        const inviter = this.ringing.get(key);
        this.ringing.delete(key);
        this.start(key, inviter && inviter !== sender ? [inviter, sender] : [sender], null);
        break;
      }
      case "m.call.hangup":
      case "m.call.reject":
        this.ringing.delete(key);
        this.end(key);
        break;
    }
  }

  /** How many calls the user is in now. */
  callsOf(userId: UserId): number {
    return this.keysByUser.get(userId)?.size ?? 0;
  }

  private start(key: string, users: UserId[], end: number | null): void {
    const existing = this.calls.get(key);
    existing?.cancel();
    const cancel = end === null ? () => {} : this.clock.setTimer(end - this.clock.now(), () => this.end(key));
    this.calls.set(key, { users, cancel });
    if (existing) return;
    for (const u of users) {
      let keys = this.keysByUser.get(u);
      if (!keys) this.keysByUser.set(u, (keys = new Set()));
      keys.add(key);
      if (keys.size === 1) this.joined(u);
    }
  }

  private end(key: string): void {
    const call = this.calls.get(key);
    if (!call) return;
    call.cancel();
    this.calls.delete(key);
    for (const u of call.users) {
      const keys = this.keysByUser.get(u);
      if (!keys?.delete(key)) continue;
      if (keys.size === 0) {
        this.keysByUser.delete(u);
        this.left(u);
      }
    }
  }
}
