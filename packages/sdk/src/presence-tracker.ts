import { systemClock, type Clock } from "./clock";
import { presenceInfo, type PresenceInfo } from "./client";
import { Emitter } from "./emitter";
import type { PresenceState } from "./presence";
import type { SyncLoop } from "./sync-loop";
import type { SyncResponse } from "./types";

export interface PresenceEntry {
  userId: string;
  state: PresenceState | "unknown";
  /** The value as the server sent it (e.g. which spelling of busy). */
  raw: string;
  statusMsg: string | null;
  /** When the user was last active (clock time), from `last_active_ago`. */
  lastActiveAt: number | null;
  currentlyActive: boolean | null;
  /** When the user's choice ends by itself (ms since the epoch), if it does. */
  until: number | null;
}

/** How far `lastActiveAt` may move before it counts as a change (the server rounds `last_active_ago`). */
const ACTIVE_JITTER_MS = 2_000;

/** Keeps everyone's presence as sync reports it, and says once per real change. */
export class PresenceTracker extends Emitter<{ change: [entry: PresenceEntry, previous: PresenceEntry | undefined] }> {
  private readonly entries = new Map<string, PresenceEntry>();
  private readonly clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
  }

  /** Feeds this tracker from a sync loop; returns a function that detaches it. */
  attach(loop: SyncLoop): () => void {
    return loop.on("sync", (res) => this.ingest(res));
  }

  ingest(res: SyncResponse): void {
    for (const ev of res.presence?.events ?? []) {
      if (ev.type !== "m.presence" || typeof ev.sender !== "string" || typeof ev.content !== "object" || ev.content === null) continue;
      this.update(presenceInfo(ev.sender, ev.content));
    }
  }

  /** Records one user's presence (from sync or a GET); emits `change` when something a person would notice changed. */
  update(info: PresenceInfo): void {
    const prev = this.entries.get(info.userId);
    const entry: PresenceEntry = {
      userId: info.userId,
      state: info.state,
      raw: info.raw,
      statusMsg: info.statusMsg,
      lastActiveAt: info.lastActiveAgo === null ? null : this.clock.now() - info.lastActiveAgo,
      currentlyActive: info.currentlyActive,
      until: info.until,
    };
    this.entries.set(info.userId, entry);
    if (prev && !differs(prev, entry)) {
      // Keep the earlier time: only rounding moved it.
      entry.lastActiveAt = prev.lastActiveAt;
      return;
    }
    this.emit("change", entry, prev);
  }

  get(userId: string): PresenceEntry | undefined {
    return this.entries.get(userId);
  }

  all(): PresenceEntry[] {
    return [...this.entries.values()];
  }
}

function differs(a: PresenceEntry, b: PresenceEntry): boolean {
  if (a.state !== b.state || a.statusMsg !== b.statusMsg || a.currentlyActive !== b.currentlyActive || a.until !== b.until) return true;
  if (a.state === "unknown" && a.raw !== b.raw) return true;
  if ((a.lastActiveAt === null) !== (b.lastActiveAt === null)) return true;
  return a.lastActiveAt !== null && b.lastActiveAt !== null && Math.abs(a.lastActiveAt - b.lastActiveAt) > ACTIVE_JITTER_MS;
}
