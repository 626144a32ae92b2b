import { randomUUID } from "node:crypto";
import type { DeviceId, RoomId, UserId } from "@axon/protocol";
import type { ClusterBus } from "./bus";
import { ACK_CHANNEL, parseAck, STREAM_CHANNEL, type StreamMessage } from "./stream-messages";

/** What the owner's services tell the publisher (each hook exists on the service already). */
export interface PublishedStreams {
  writer: { onEvent(l: (e: { streamOrdering: number }, audience: ReadonlySet<UserId>, local: boolean) => void): void; latest(): number };
  receipts: { onReceipt(l: (r: { streamId: number }) => void): void; latest(): number };
  accountData: { onChange(l: (userId: UserId, position: number) => void): void; latest(): number };
  typing: { onChange(l: (roomId: RoomId, position: number) => void): void; typers(roomId: RoomId): UserId[] };
  deviceLists: { onPublished(l: (position: number, observers: ReadonlySet<UserId>) => void): void; latest(): number };
  toDevice: { onSent(l: (position: number, devices: { userId: UserId; deviceId: DeviceId }[]) => void): void; latest(): number };
  keys: { onCountsChanged(l: (userId: UserId, deviceId: DeviceId) => void): void };
  accounts: { onTokensRevoked(fn: (hashes: string[]) => Promise<void>): void };
}

type Coalesced = "events" | "receipts" | "account_data";

/**
 * The owner's side of the streams: after each committed write, tells the other processes how far the
 * stream moved. Database streams are coalesced per event-loop turn (a burst of 50 events is one
 * message), so the cost does not grow with the number of rows. Token revocations wait (bounded) for
 * every live process to confirm, so a logout answers only once its token is refused everywhere.
 */
export class StreamPublisher {
  private readonly last: Record<Coalesced, number>;
  private readonly next: Partial<Record<Coalesced, number>> = {};
  private flushQueued = false;
  private lastDeviceLists: number;
  private lastToDevice: number;
  /** Processes heard from lately (their `alive`), by id → when. */
  private readonly peers = new Map<string, number>();
  private readonly waits = new Map<string, { missing: Set<string>; done: () => void }>();
  private active = false;

  constructor(
    private readonly bus: ClusterBus,
    s: PublishedStreams,
    private readonly opts: { ackTimeoutMs?: number; peerTtlMs?: number } = {},
  ) {
    this.last = { events: s.writer.latest(), receipts: s.receipts.latest(), account_data: s.accountData.latest() };
    this.lastDeviceLists = s.deviceLists.latest();
    this.lastToDevice = s.toDevice.latest();
    s.writer.onEvent((e, _a, local) => local && this.note("events", e.streamOrdering));
    s.receipts.onReceipt((r) => this.note("receipts", r.streamId));
    s.accountData.onChange((_u, p) => this.note("account_data", p));
    s.typing.onChange((room, p) => this.send({ s: "typing", p, room, typers: s.typing.typers(room) }));
    s.deviceLists.onPublished((p, observers) => {
      this.send({ s: "device_lists", from: this.lastDeviceLists, p, observers: [...observers] });
      this.lastDeviceLists = p;
    });
    s.toDevice.onSent((p, devices) => {
      this.send({ s: "to_device", from: this.lastToDevice, p, devices: devices.map((d) => [d.userId, d.deviceId]) });
      this.lastToDevice = p;
    });
    s.keys.onCountsChanged((user, device) => this.send({ s: "otk", user, device }));
    s.accounts.onTokensRevoked((hashes) => this.revoke(hashes));
    bus.subscribe(STREAM_CHANNEL, (raw) => {
      const m = raw as { s?: unknown; pid?: unknown };
      if (m?.s === "alive" && typeof m.pid === "string" && m.pid !== bus.processId) this.peers.set(m.pid, Date.now());
    });
    bus.subscribe(ACK_CHANNEL, (raw) => {
      const ack = parseAck(raw);
      const wait = ack && this.waits.get(ack.id);
      if (!wait) return;
      wait.missing.delete(ack!.pid);
      if (wait.missing.size === 0) wait.done();
    });
  }

  /** Starts publishing (the process became the owner); positions continue from the services' own. */
  activate(streams: { events: number; receipts: number; account_data: number; deviceLists: number; toDevice: number }): void {
    this.last.events = streams.events;
    this.last.receipts = streams.receipts;
    this.last.account_data = streams.account_data;
    this.lastDeviceLists = streams.deviceLists;
    this.lastToDevice = streams.toDevice;
    this.active = true;
  }

  /** Processes heard from within the time to live. */
  livePeers(): string[] {
    const cutoff = Date.now() - (this.opts.peerTtlMs ?? 6000);
    const out: string[] = [];
    for (const [pid, at] of this.peers) {
      if (at >= cutoff) out.push(pid);
      else this.peers.delete(pid);
    }
    return out;
  }

  private note(s: Coalesced, p: number): void {
    if (!this.active) return;
    this.next[s] = Math.max(this.next[s] ?? 0, p);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    for (const s of ["events", "receipts", "account_data"] as const) {
      const p = this.next[s];
      if (p === undefined) continue;
      delete this.next[s];
      if (p <= this.last[s]) continue;
      this.send({ s, from: this.last[s], p });
      this.last[s] = p;
    }
  }

  private send(m: StreamMessage): void {
    if (this.active) this.bus.publish(STREAM_CHANNEL, m);
  }

  /** Publishes the dropped tokens and waits until every live process confirmed it dropped them (at most ackTimeoutMs). */
  private revoke(hashes: string[]): Promise<void> {
    if (!this.active) return Promise.resolve();
    const id = randomUUID();
    const missing = new Set(this.livePeers());
    const msg: StreamMessage = { s: "tokens", id, origin: this.bus.processId, hashes };
    if (missing.size === 0) {
      this.bus.publish(STREAM_CHANNEL, msg);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.opts.ackTimeoutMs ?? 1000);
      const waits = this.waits;
      function finish(): void {
        clearTimeout(timer);
        waits.delete(id);
        resolve();
      }
      this.waits.set(id, { missing, done: finish });
      this.bus.publish(STREAM_CHANNEL, msg);
    });
  }
}
