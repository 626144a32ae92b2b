// The presence messages between the processes of a cluster (see presence-cluster.ts for the design).
//
// Two bus channels. "presence.in": every process tells the owner about the syncs of its devices,
// edge-triggered (a start when a device begins syncing here, a stop once it has stopped for a while),
// plus throttled activity and a heartbeat. "presence.out": the owner's presence stream, each change
// at its feed position with the previous position (so a follower sees a lost message at the next
// one), and the replies that let a follower catch up. Messages are small JSON objects; the bus may
// lose any of them, and each side recovers (heartbeat audit on "in", resync on "out").
import type { DeviceId, UserId } from "@axon/protocol";
import { z } from "zod";
import type { PresenceSnapshot } from "../presence/presence-feed";

export const PRESENCE_IN = "presence.in";
export const PRESENCE_OUT = "presence.out";

/** The set_presence of a sync that touches presence ("offline" syncs touch nothing and are not relayed). */
export type SyncPresence = "online" | "unavailable";
/** A device reported live: [user, device, set_presence]. */
export type LiveDevice = [UserId, DeviceId, SyncPresence];

const userId = z.custom<UserId>((v) => typeof v === "string" && v.startsWith("@"));
const deviceId = z.custom<DeviceId>((v) => typeof v === "string");
const time = z.number().finite();
const pos = z.number().int().nonnegative();
const syncPresence = z.enum(["online", "unavailable"]);
const pid = z.string().min(1);

const inMessage = z.discriminatedUnion("t", [
  /** The device's first sync here began (or its set_presence changed): it counts as syncing. */
  z.object({ t: z.literal("start"), pid, user: userId, device: deviceId, sp: syncPresence }),
  /** No sync of the device here since `at` (sent after a debounce): its sync_timeout runs from `at`. */
  z.object({ t: z.literal("stop"), pid, user: userId, device: deviceId, at: time }),
  /** Activity of the device (an online sync while already live, or a hook), at most one per interval. */
  z.object({ t: z.literal("activity"), pid, user: userId, device: deviceId }),
  /** Heartbeat: how many devices the process reports live and a hash of them (the owner audits on a mismatch). */
  z.object({ t: z.literal("alive"), pid, n: z.number().int().nonnegative(), hash: z.number().int() }),
  /** Every device the process reports live, in parts; the owner reconciles once it has all parts of `gen`. */
  z.object({
    t: z.literal("state"),
    pid,
    gen: z.number().int(),
    part: z.number().int().nonnegative(),
    parts: z.number().int().positive(),
    devices: z.array(z.tuple([userId, deviceId, syncPresence])),
  }),
  /** The process is closing: its devices stop now. */
  z.object({ t: z.literal("bye"), pid }),
  /** The process's copy of the stream has a gap: the owner answers with a mark and then `flushed`. */
  z.object({ t: z.literal("resync"), pid }),
]);

const snapshot = z.object({
  userId,
  state: z.enum(["online", "unavailable", "offline", "busy"]),
  statusMsg: z.string().nullable(),
  expiresAt: time.nullable(),
});

const outMessage = z.discriminatedUnion("t", [
  /** A change at position p (the previous one being prevP); watchers only when not the user's whole audience. */
  z.object({
    t: z.literal("change"),
    epoch: z.number().int(),
    p: pos,
    prevP: pos,
    snap: snapshot,
    lastActiveAt: time.nullable(),
    watchers: z.array(userId).optional(),
  }),
  /** A position with nothing in it, taken for a resync: every change up to it is committed once `flushed` follows. */
  z.object({ t: z.literal("mark"), epoch: z.number().int(), p: pos, prevP: pos }),
  /** Off the chain: the rows of every change up to p are in the presence table (for process `pid`). */
  z.object({ t: z.literal("flushed"), epoch: z.number().int(), p: pos, pid }),
  /** A new owner; its stream starts after p. */
  z.object({ t: z.literal("epoch"), epoch: z.number().int(), p: pos }),
  /** The owner's heartbeat with its latest position: a follower that is behind lost the tail. */
  z.object({ t: z.literal("head"), epoch: z.number().int(), p: pos }),
  /** last_active as just written to the table (moves without a change being published). */
  z.object({ t: z.literal("active"), epoch: z.number().int(), users: z.array(z.tuple([userId, time])) }),
  /** The owner asks a process (or every process: null) for its full device state. */
  z.object({ t: z.literal("audit"), epoch: z.number().int(), pid: pid.nullable() }),
]);

export type InMessage = z.infer<typeof inMessage>;
export type OutMessage = z.infer<typeof outMessage>;
export type ChainMessage = Extract<OutMessage, { t: "change" | "mark" }>;

/** A message from the bus, checked; null when it is not one (a bug or another version: dropped). */
export function parseIn(raw: unknown): InMessage | null {
  const r = inMessage.safeParse(raw);
  return r.success ? r.data : null;
}

export function parseOut(raw: unknown): OutMessage | null {
  const r = outMessage.safeParse(raw);
  return r.success ? r.data : null;
}

/** Only the snapshot's own fields (the feed may hold a fuller view object). */
export function wireSnapshot(s: PresenceSnapshot): PresenceSnapshot {
  return { userId: s.userId, state: s.state, statusMsg: s.statusMsg, expiresAt: s.expiresAt };
}

/** FNV-1a of a live device; the heartbeat's hash is the sum of these over the devices (mod 2^32), kept incrementally. */
export function deviceHash(user: string, device: string, sp: SyncPresence): number {
  let h = 0x811c9dc5;
  const s = `${user}\n${device}\n${sp}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const addHash = (sum: number, h: number): number => (sum + h) >>> 0;
export const removeHash = (sum: number, h: number): number => (sum - h) >>> 0;

/** Map key of a (user, device): user ids cannot contain NUL. */
export const deviceKey = (user: string, device: string): string => `${user}\u0000${device}`;
