import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { ReceiptRecord } from "../rooms/ephemeral-store";
import type { RoomEvent } from "../rooms/room-event";
import type { AccountDataRecord } from "../rooms/ephemeral-store";
import type { ClusterBus } from "./bus";
import { ACK_CHANNEL, parseStreamMessage, STREAM_CHANNEL, type StreamMessage } from "./stream-messages";

/** Highest positions in the database, per stream (the truth a follower catches up to). */
export interface StreamMaxima {
  events: number;
  receipts: number;
  account_data: number;
  device_lists: number;
  to_device: number;
}

/** The services a follower keeps current, and the reads it catches up with. */
export interface FollowedStreams {
  writer: { latest(): number; follow(events: RoomEvent[]): void; followTo(position: number): void; state(roomId: RoomId): Promise<unknown> };
  eventsBetween(from: number, to: number, limit: number): Promise<RoomEvent[]>;
  receipts: { latest(): number; follow(rows: { receipt: ReceiptRecord; eventOrdering: number }[], upTo: number): void; between(from: number, to: number): Promise<{ receipt: ReceiptRecord; eventOrdering: number }[]> };
  accountData: { latest(): number; follow(rows: (AccountDataRecord & { userId: UserId })[], upTo: number): void; between(from: number, to: number): Promise<(AccountDataRecord & { userId: UserId })[]> };
  typing: { follow(roomId: RoomId, typers: UserId[], position: number): void };
  deviceLists: { latest(): number; follow(position: number, observers: UserId[] | null): void };
  toDevice: { latest(): number; follow(position: number, devices: { userId: UserId; deviceId: DeviceId }[] | null): void };
  keys: { forgetCounts(device: { userId: UserId; deviceId: DeviceId } | null): void };
  accounts: { forgetTokens(hashes: string[]): void; forgetAllTokens(): void };
  maxima(): Promise<StreamMaxima>;
}

type DbStream = "events" | "receipts" | "account_data";
const EVENT_PAGE = 500;

/**
 * A follower's side of the streams: applies what the owner wrote to this process's caches and wakes
 * its long-polls. Database streams are read back by position, so repeats and losses are harmless; a
 * poll of the maxima (every `pollMs`) bounds the delay when the last message of a burst is lost or
 * Redis is down. Inline streams with a gap fall back to "anyone may have news".
 */
export class StreamFollower {
  private readonly wanted: Partial<Record<DbStream, number>> = {};
  private readonly running: Partial<Record<DbStream, Promise<void>>> = {};
  private poll: NodeJS.Timeout | null = null;
  private alive: NodeJS.Timeout | null = null;
  private active = true;
  /** The maxima read in flight: a poll or a catch-up asked meanwhile shares it (never two reads at once). */
  private reading: Promise<void> | null = null;

  constructor(
    private readonly bus: ClusterBus,
    private readonly s: FollowedStreams,
    private readonly log: Pick<Logger, "warn" | "error">,
    private readonly opts: { pollMs?: number; aliveMs?: number } = {},
  ) {}

  start(): void {
    this.bus.subscribe(STREAM_CHANNEL, (raw) => {
      if (!this.active) return;
      const m = parseStreamMessage(raw);
      if (m) this.apply(m);
      else this.log.warn({ raw }, "cluster: malformed stream message dropped");
    });
    this.bus.onReconnect(() => {
      if (!this.active) return;
      this.s.keys.forgetCounts(null);
      this.s.accounts.forgetAllTokens();
      void this.catchUpAll();
    });
    this.poll = setInterval(() => void this.catchUpAll(), this.opts.pollMs ?? 1000);
    this.beat();
    this.alive = setInterval(() => this.beat(), this.opts.aliveMs ?? 2000);
  }

  /** Reads the maxima and applies everything up to them; resolves when done (used before answering a token from the future). */
  catchUpAll(): Promise<void> {
    this.reading ??= this.readAndCatchUp().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readAndCatchUp(): Promise<void> {
    let max: StreamMaxima;
    try {
      max = await this.s.maxima();
    } catch (err) {
      this.log.error({ err }, "cluster: reading stream positions failed");
      return;
    }
    if (max.device_lists > this.s.deviceLists.latest()) this.s.deviceLists.follow(max.device_lists, null);
    if (max.to_device > this.s.toDevice.latest()) this.s.toDevice.follow(max.to_device, null);
    await Promise.all([this.want("events", max.events), this.want("receipts", max.receipts), this.want("account_data", max.account_data)]);
  }

  /** Stops following (the process is about to become the owner, or is closing); keeps the heartbeat unless closing. */
  stop(closing = false): void {
    this.active = false;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (closing && this.alive) clearInterval(this.alive);
  }

  close(): void {
    this.stop(true);
  }

  private beat(): void {
    this.bus.publish(STREAM_CHANNEL, { s: "alive", pid: this.bus.processId });
  }

  private apply(m: StreamMessage): void {
    switch (m.s) {
      case "events":
      case "receipts":
      case "account_data":
        void this.want(m.s, m.p);
        return;
      case "device_lists": {
        const gap = m.from > this.s.deviceLists.latest();
        this.s.deviceLists.follow(m.p, gap ? null : m.observers);
        return;
      }
      case "to_device": {
        const gap = m.from > this.s.toDevice.latest();
        this.s.toDevice.follow(m.p, gap ? null : m.devices.map(([userId, deviceId]) => ({ userId, deviceId })));
        return;
      }
      case "typing":
        this.s.typing.follow(m.room, m.typers, m.p);
        return;
      case "otk":
        this.s.keys.forgetCounts({ userId: m.user, deviceId: m.device });
        return;
      case "tokens":
        if (m.origin === this.bus.processId) return;
        this.s.accounts.forgetTokens(m.hashes);
        this.bus.publish(ACK_CHANNEL, { id: m.id, pid: this.bus.processId });
        return;
      case "alive":
        return;
    }
  }

  /** Catches a database stream up to at least `p`; one reader per stream at a time, later wishes merged. */
  private want(s: DbStream, p: number): Promise<void> {
    if (p > (this.wanted[s] ?? 0)) this.wanted[s] = p;
    const running = this.running[s];
    if (running) return running;
    const run = this.drain(s).finally(() => {
      delete this.running[s];
    });
    this.running[s] = run;
    return run;
  }

  private async drain(s: DbStream): Promise<void> {
    try {
      for (;;) {
        const target = this.wanted[s] ?? 0;
        if (target <= this.latest(s)) return;
        await this.step(s, target);
      }
    } catch (err) {
      this.log.error({ err, stream: s }, "cluster: catching up failed (the next message or poll retries)");
    }
  }

  private latest(s: DbStream): number {
    return s === "events" ? this.s.writer.latest() : s === "receipts" ? this.s.receipts.latest() : this.s.accountData.latest();
  }

  private async step(s: DbStream, target: number): Promise<void> {
    const from = this.latest(s);
    if (s === "receipts") return this.s.receipts.follow(await this.s.receipts.between(from, target), target);
    if (s === "account_data") return this.s.accountData.follow(await this.s.accountData.between(from, target), target);
    const events = await this.s.eventsBetween(from, target, EVENT_PAGE);
    if (events.length === 0) return this.s.writer.followTo(target);
    // Rooms seen for the first time here get their state loaded first: counts and audiences need it.
    const rooms = new Set(events.map((e) => e.room_id as RoomId));
    for (const r of rooms) await this.s.writer.state(r);
    this.s.writer.follow(events);
    if (events.length < EVENT_PAGE) this.s.writer.followTo(target);
  }
}
