import { invalidParam, type PresenceState, type UserId } from "@axon/protocol";
import type { PushAction } from "./push-rule-types";

/** The account-data type where a user chooses what busy holds back (global account data). */
export const BUSY_PUSH_TYPE = "io.axon.busy_push";

/**
 * What a busy user's pushes do:
 * - `ordinary` (the default): ordinary messages wait; highlights (a mention, a keyword) and call invites ring;
 * - `all`: nothing rings while busy, highlights and calls included;
 * - `none`: busy changes nothing, everything rings as when online.
 */
export type BusyHoldMode = "ordinary" | "all" | "none";
export const BUSY_HOLD_MODES: readonly BusyHoldMode[] = ["ordinary", "all", "none"];
const DEFAULT_MODE: BusyHoldMode = "ordinary";

/**
 * Event types that start a call: a 1:1 invite, and MatrixRTC's ring/notify events for group calls.
 * (In an encrypted room a 1:1 invite arrives as m.room.encrypted and cannot be told apart: it then
 * rings only when it highlights.)
 */
const CALL_START_TYPES = new Set(["m.call.invite", "m.call.notify", "org.matrix.msc4075.call.notify", "m.rtc.notification", "org.matrix.msc4075.rtc.notification"]);

/** The content clients PUT for BUSY_PUSH_TYPE: `{"hold": "ordinary" | "all" | "none"}`; anything else is refused with M_INVALID_PARAM. */
export function parseBusyPushSetting(content: Record<string, unknown>): BusyHoldMode {
  const hold = content.hold;
  if (typeof hold === "string" && (BUSY_HOLD_MODES as readonly string[]).includes(hold)) return hold as BusyHoldMode;
  throw invalidParam(`'${BUSY_PUSH_TYPE}' needs "hold": one of ${BUSY_HOLD_MODES.map((m) => `"${m}"`).join(", ")}.`);
}

/** Pure rule: does a push for this event wait while its recipient is in `state`? */
export function holdsPush(state: PresenceState, mode: BusyHoldMode, event: { type: string }, outcome: { highlight: boolean }): boolean {
  if (state !== "busy" || mode === "none") return false;
  if (mode === "all") return true;
  return !outcome.highlight && !CALL_START_TYPES.has(event.type);
}

export interface BusyHoldDeps {
  /** `presence.busy_holds_push`: false turns holding off for everyone. */
  enabled: boolean;
  /** The user's presence state now (busy by hand, by a call, or until a time). */
  stateOf(userId: UserId): PresenceState;
  /** Every stored BUSY_PUSH_TYPE setting, read once at start-up. */
  loadSettings(): Promise<{ userId: UserId; content: Record<string, unknown> }[]>;
  /** Told about each global account-data write, in the write's tick. */
  onAccountData(listener: (userId: UserId, type: string, content: Record<string, unknown>) => void): void;
}

/**
 * Decides, when a notification is produced, whether its push is held because the user is busy. A held
 * push is not sent later: the unread counts go on counting, so when busy ends the badges are right and
 * no flood of stale pushes follows.
 */
export class BusyHold {
  /** Only users who chose something other than the default. */
  private readonly modes = new Map<UserId, BusyHoldMode>();

  constructor(private readonly d: BusyHoldDeps) {}

  async start(): Promise<void> {
    for (const { userId, content } of await this.d.loadSettings()) this.remember(userId, content);
    this.d.onAccountData((userId, type, content) => {
      if (type === BUSY_PUSH_TYPE) this.remember(userId, content);
    });
  }

  modeOf(userId: UserId): BusyHoldMode {
    return this.modes.get(userId) ?? DEFAULT_MODE;
  }

  /** The push hook: true means "do not push this now". */
  holds(userId: UserId, event: { type: string }, outcome: { highlight: boolean; actions: PushAction[] }): boolean {
    if (!this.d.enabled) return false;
    const mode = this.modeOf(userId);
    if (mode === "none") return false;
    return holdsPush(this.d.stateOf(userId), mode, event, outcome);
  }

  private remember(userId: UserId, content: Record<string, unknown>): void {
    let mode: BusyHoldMode;
    try {
      mode = parseBusyPushSetting(content);
    } catch {
      mode = DEFAULT_MODE; // written before validation existed, or by hand: the default applies
    }
    if (mode === DEFAULT_MODE) this.modes.delete(userId);
    else this.modes.set(userId, mode);
  }
}
