import { CallWatcher } from "./calls";
import { systemClock, type Clock } from "./clock";
import { Emitter } from "./emitter";
import { parsePresence, type PresenceState } from "./presence";
import type { SyncResponse } from "./types";

/** What AutoBusy needs from a client: the SDK's own client and the matrix-js-sdk adapter both provide it. */
export interface PresenceAccess {
  readonly userId: string;
  /** Your presence as the server has it now. */
  getOwnPresence(): Promise<OwnPresence>;
  /** Sets your presence (busy falls back to unavailable without the flag); returns what was applied. */
  setOwnPresence(state: PresenceState, statusMsg: string | null): Promise<PresenceState>;
  getAccountData(type: string): Promise<Record<string, unknown> | null>;
  setAccountData(type: string, content: Record<string, unknown>): Promise<void>;
}

export interface OwnPresence {
  state: PresenceState | "unknown";
  statusMsg: string | null;
}

export interface AutoBusyOptions {
  /** The status message shown while in a call. Default "In a call". */
  statusMsg?: string;
  /** Account data type that keeps the calls in progress, so a restart after a crash can undo busy. */
  accountDataType?: string;
  clock?: Clock;
}

/** The crash-safety record kept in account data while a call is in progress. */
interface CallRecord {
  calls: string[];
  previous: OwnPresence | null;
  set: OwnPresence | null;
}

export const CALLS_ACCOUNT_DATA = "io.axon.calls";

/**
 * Busy during calls, on the client: entering the first call sets busy; leaving the last one restores
 * the state and message from before, unless the user chose something else meanwhile. Calls come from
 * sync (MatrixRTC memberships, 1:1 VoIP) and from the app (`enterCall`/`leaveCall`). The calls in
 * progress are kept in account data, so after a crash mid-call the next start finds no live call
 * and restores the earlier state instead of leaving the user busy for good.
 */
export class AutoBusy extends Emitter<{ change: [inCall: boolean]; error: [error: Error] }> {
  private readonly calls = new Map<string, () => void>();
  private readonly watcher: CallWatcher;
  private readonly clock: Clock;
  private readonly statusMsg: string;
  private readonly type: string;
  private queue: Promise<void> = Promise.resolve();
  /** Your presence as last seen outside a call: what a call's end gives back. */
  private lastOwn: OwnPresence | null = null;
  private previous: OwnPresence | null = null;
  private applied: OwnPresence | null = null;
  /** Our busy has been seen in sync, so a different presence from now on is someone's choice. */
  private confirmed = false;
  private explicitChoice = false;
  /** Calls recorded by an earlier run, waiting for the first sync to tell which are still live. */
  private recovering: CallRecord | null = null;
  private stopped = false;
  private readonly detachers: (() => void)[] = [];

  constructor(
    private readonly access: PresenceAccess,
    opts: AutoBusyOptions = {},
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.statusMsg = opts.statusMsg ?? "In a call";
    this.type = opts.accountDataType ?? CALLS_ACCOUNT_DATA;
    this.watcher = new CallWatcher(access.userId, this.clock);
  }

  /** Reads what an earlier run left; call it before the first sync is fed. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const record = parseRecord(await this.access.getAccountData(this.type));
      if (record && record.calls.length > 0) this.recovering = record;
    });
  }

  /** Stops reacting (nothing is restored: a later start does that if the calls are gone by then). */
  stop(): void {
    this.stopped = true;
    for (const detach of this.detachers.splice(0)) detach();
    for (const cancel of this.calls.values()) cancel();
  }

  /** Subscribes to a source of sync responses; `stop()` unsubscribes. */
  feedFrom(subscribe: (listener: (res: SyncResponse, initial: boolean) => void) => () => void): void {
    this.detachers.push(subscribe((res, initial) => void this.ingest(res, initial)));
  }

  get inCall(): boolean {
    return this.calls.size > 0;
  }

  /** Ids of the calls in progress. */
  get activeCalls(): string[] {
    return [...this.calls.keys()];
  }

  /** A call the server cannot see (e.g. a Jitsi widget) has started. */
  enterCall(id: string): Promise<void> {
    return this.enqueue(() => this.setCalls([{ key: `app|${id}`, live: true, endsAt: null }]));
  }

  leaveCall(id: string): Promise<void> {
    return this.enqueue(() => this.setCalls([{ key: `app|${id}`, live: false, endsAt: null }]));
  }

  /** Sets presence as the user's own choice: during a call it is kept when the call ends. */
  setPresence(state: PresenceState, statusMsg: string | null): Promise<PresenceState> {
    let applied: PresenceState = state;
    return this.enqueue(async () => {
      if (this.inCall) this.explicitChoice = true;
      applied = await this.access.setOwnPresence(state, statusMsg);
      if (!this.inCall) this.lastOwn = { state: applied, statusMsg };
    }).then(() => applied);
  }

  /** Feeds one sync response (`initial` for the first of a run). Failures go to the `error` event. */
  ingest(res: SyncResponse, initial: boolean): Promise<void> {
    return this.enqueue(async () => {
      const changes = this.watcher.observe(res, initial);
      if (this.recovering) {
        await this.recover(this.recovering, changes.filter((c) => c.live));
        this.recovering = null;
      } else {
        await this.setCalls(changes);
      }
      for (const ev of res.presence?.events ?? []) {
        if (ev.type === "m.presence" && ev.sender === this.access.userId) this.ownPresenceSeen(readOwn(ev.content));
      }
    }).catch(() => {});
  }

  private ownPresenceSeen(own: OwnPresence): void {
    if (!this.inCall) {
      this.lastOwn = own;
      return;
    }
    const ours = this.applied !== null && same(own, this.applied);
    if (ours) this.confirmed = true;
    else if (this.confirmed) this.explicitChoice = true;
  }

  private async recover(record: CallRecord, live: { key: string; endsAt: number | null }[]): Promise<void> {
    if (live.length === 0) {
      // The calls of the earlier run are over (an app's own calls never outlive it).
      this.previous = record.previous;
      this.applied = record.set;
      await this.restore();
      return;
    }
    for (const c of live) this.track(c.key, c.endsAt);
    this.previous = record.previous;
    this.applied = record.set;
    const now = await this.access.getOwnPresence();
    this.explicitChoice = record.set !== null && !same(now, record.set);
    this.confirmed = !this.explicitChoice;
    await this.save();
    this.emit("change", true);
  }

  private async setCalls(changes: { key: string; live: boolean; endsAt: number | null }[]): Promise<void> {
    const before = this.calls.size;
    for (const c of changes) {
      if (c.live) this.track(c.key, c.endsAt);
      else {
        this.calls.get(c.key)?.();
        this.calls.delete(c.key);
      }
    }
    if (before === 0 && this.calls.size > 0) await this.begin();
    else if (before > 0 && this.calls.size === 0) await this.restore();
    else if (this.calls.size > 0 && changes.length > 0) await this.save();
  }

  private track(key: string, endsAt: number | null): void {
    this.calls.get(key)?.();
    const cancel = endsAt === null ? () => {} : this.clock.after(endsAt - this.clock.now(), () => void this.enqueue(() => this.setCalls([{ key, live: false, endsAt: null }])));
    this.calls.set(key, cancel);
  }

  private async begin(): Promise<void> {
    this.previous = this.lastOwn ?? (await this.access.getOwnPresence());
    this.explicitChoice = false;
    this.confirmed = false;
    // Recorded before busy is set: a crash in between only means a restore that changes nothing.
    this.applied = { state: "busy", statusMsg: this.statusMsg };
    await this.save();
    const state = await this.access.setOwnPresence("busy", this.statusMsg);
    this.applied = { state, statusMsg: this.statusMsg };
    if (state !== "busy") await this.save();
    this.emit("change", true);
  }

  private async restore(): Promise<void> {
    const previous = this.previous;
    const applied = this.applied;
    if (!this.explicitChoice && previous && applied) {
      // Someone may have chosen a state on another device; only our own busy is undone.
      const now = await this.access.getOwnPresence();
      if (same(now, applied)) {
        const state = previous.state === "unknown" ? "online" : previous.state;
        await this.access.setOwnPresence(state, previous.statusMsg);
        this.lastOwn = { state, statusMsg: previous.statusMsg };
      }
    }
    this.previous = this.applied = null;
    this.explicitChoice = this.confirmed = false;
    await this.access.setAccountData(this.type, { calls: [] });
    this.emit("change", false);
  }

  private save(): Promise<void> {
    const record: CallRecord = { calls: [...this.calls.keys()], previous: this.previous, set: this.applied };
    return this.access.setAccountData(this.type, record as unknown as Record<string, unknown>);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.stopped ? undefined : job()));
    this.queue = run.catch((err: unknown) => this.emit("error", err instanceof Error ? err : new Error(String(err))));
    return run;
  }
}

const same = (a: OwnPresence, b: OwnPresence) => a.state === b.state && (a.statusMsg ?? null) === (b.statusMsg ?? null);

function readOwn(content: Record<string, unknown>): OwnPresence {
  return { state: parsePresence(content.presence), statusMsg: typeof content.status_msg === "string" && content.status_msg !== "" ? content.status_msg : null };
}

function parseRecord(raw: Record<string, unknown> | null): CallRecord | null {
  if (!raw || !Array.isArray(raw.calls)) return null;
  const own = (v: unknown): OwnPresence | null => (typeof v === "object" && v !== null ? readOwn({ presence: (v as OwnPresence).state, status_msg: (v as OwnPresence).statusMsg }) : null);
  return { calls: raw.calls.filter((c): c is string => typeof c === "string"), previous: own(raw.previous), set: own(raw.set) };
}
