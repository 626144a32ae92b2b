import type { UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock";
import type { ProfileFieldService } from "./profile-field-service";

/** MSC4426: the profile field that says a user is in a call, `{"call_joined_ts": <seconds>}`. */
export const CALL_FIELD = "org.matrix.msc4426.call";

/** Where calls come from: the presence service's call tracker (`PresenceService.onCallsChanged`). */
export interface CallSource {
  onCallsChanged(listener: (userId: UserId, inCall: boolean) => void): void;
}

/**
 * Keeps MSC4426's call field on the profile of each user the call tracker sees in a call, and
 * removes it when they are in none. Only values the server wrote are touched: a user who sets
 * the field themselves is left alone (the store remembers who wrote it). The user's
 * `org.matrix.msc4426.status` is never written here.
 */
export class CallProfileField {
  /** Per user, the write in flight: an enter and a leave in quick succession land in order. */
  private readonly pending = new Map<UserId, Promise<void>>();

  constructor(
    private readonly fields: ProfileFieldService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Removes the call fields the server set before a restart (the call tracker starts with no calls,
   * so it would never clear them), then, when `follow`, starts following calls.
   */
  async start(source: CallSource, follow: boolean): Promise<void> {
    const stale = await this.fields.removeAllByServer(CALL_FIELD);
    if (stale.length > 0) this.log.info({ users: stale.length }, "removed call profile fields left from before the restart");
    if (follow) source.onCallsChanged((userId, inCall) => this.callsChanged(userId, inCall));
  }

  /** Resolves when every write started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }

  private callsChanged(userId: UserId, inCall: boolean): void {
    const joinedTs = Math.floor(this.clock.now() / 1000);
    const write = async () => {
      if (inCall) await this.fields.setByServer(userId, CALL_FIELD, { call_joined_ts: joinedTs });
      else await this.fields.removeByServer(userId, CALL_FIELD);
    };
    const next = (this.pending.get(userId) ?? Promise.resolve())
      .then(write)
      .catch((err: unknown) => this.log.error({ err, userId }, "call profile field write failed"));
    this.pending.set(userId, next);
    void next.then(() => {
      if (this.pending.get(userId) === next) this.pending.delete(userId);
    });
  }
}
