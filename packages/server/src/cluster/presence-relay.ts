// Syncs in a cluster, both ends. SyncRelay runs in every process: it counts this process's /sync
// requests per device and tells the owner only about edges (a device starts syncing here, or has
// stopped for a while), plus throttled activity and a heartbeat. OwnerSyncs runs in the owner: it
// turns those messages into the presence service's own sync hooks, so a device syncing through any
// process counts as syncing. The owner's own syncs take the same path, in process (no bus hop).
//
// Why edges: relaying every /sync to the owner made the reference server's presence writer spend
// CPU in proportion to the sync rate (Synapse PRs #19941/#19946). Here a device that long-polls
// all day costs the owner one start, one activity per interval, and one stop.
import type { DeviceId, UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { DeviceState } from "../presence/presence-user";
import { addHash, deviceHash, deviceKey, removeHash, type InMessage, type LiveDevice, type SyncPresence } from "./presence-messages";

/** Runs fn every ms on the injected clock; returns a function that stops it. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let cancel = (): void => {};
  let stopped = false;
  const arm = (): void => {
    cancel = clock.setTimer(ms, () => {
      if (stopped) return;
      fn();
      if (!stopped) arm();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}

export interface SyncRelayOptions {
  clock: Clock;
  /** This process's id (the bus's processId). */
  pid: string;
  /** After a device's last sync here ends, how long it must stay without one before the owner is told (ms). Keep it below sync_timeout. */
  stopDelayMs: number;
  /** A device's activity is relayed at most once per this (ms). */
  activityEveryMs: number;
  /** Heartbeat period (ms). */
  heartbeatMs: number;
  /** Devices per `state` message. */
  statePartSize?: number;
}

interface LocalDevice {
  user: UserId;
  device: DeviceId;
  /** /sync requests of the device in flight in this process. */
  inFlight: number;
  /** What the owner was told (null: not live there). */
  reported: SyncPresence | null;
  /** When its last sync here ended. */
  endedAt: number;
  cancelStop: (() => void) | null;
}

/** The per-process side: the sync hooks of this process, relayed to the owner on edges only. */
export class SyncRelay {
  private readonly devices = new Map<string, LocalDevice>();
  /** When activity was last relayed, per device key. */
  private readonly activitySentAt = new Map<string, number>();
  /** Devices reported live and the sum of their hashes (what the heartbeat carries). */
  private live = 0;
  private hash = 0;
  private gen = 0;
  private stopHeartbeat: (() => void) | null = null;

  constructor(
    private readonly opts: SyncRelayOptions,
    /** Where messages go: the bus, or the owner's OwnerSyncs in process. */
    private send: (m: InMessage) => void,
  ) {}

  /** Sends from now on to `send` (a follower taking over as owner delivers in process). */
  setSink(send: (m: InMessage) => void): void {
    this.send = send;
  }

  start(): void {
    this.stopHeartbeat ??= every(this.opts.clock, this.opts.heartbeatMs, () => this.heartbeat());
  }

  /** Stops the timers and tells the owner that this process's devices stop now (when `bye`). */
  close(bye: boolean): void {
    this.stopHeartbeat?.();
    this.stopHeartbeat = null;
    for (const d of this.devices.values()) d.cancelStop?.();
    this.devices.clear();
    if (bye) this.send({ t: "bye", pid: this.opts.pid });
  }

  syncStarted(user: UserId, device: DeviceId, sp: DeviceState): void {
    // set_presence=offline touches nothing, not even liveness: nothing to relay.
    if (sp === "offline") return;
    const key = deviceKey(user, device);
    let d = this.devices.get(key);
    if (d === undefined) {
      d = { user, device, inFlight: 0, reported: null, endedAt: 0, cancelStop: null };
      this.devices.set(key, d);
    }
    d.inFlight++;
    if (d.cancelStop !== null) {
      d.cancelStop();
      d.cancelStop = null;
    }
    if (d.reported !== sp) {
      this.report(d, sp);
      this.send({ t: "start", pid: this.opts.pid, user, device, sp });
      // A start with set_presence=online is activity on the owner already.
      if (sp === "online") this.activitySentAt.set(key, this.opts.clock.now());
    } else if (sp === "online") {
      // Already live there: an online sync is activity (it keeps the device from going idle).
      this.throttledActivity(key, user, device);
    }
  }

  syncEnded(user: UserId, device: DeviceId, sp: DeviceState): void {
    if (sp === "offline") return;
    const key = deviceKey(user, device);
    const d = this.devices.get(key);
    if (d === undefined || d.inFlight === 0) return;
    if (--d.inFlight > 0) return;
    d.endedAt = this.opts.clock.now();
    d.cancelStop = this.opts.clock.setTimer(this.opts.stopDelayMs, () => this.stopNow(key, d));
  }

  activity(user: UserId, device: DeviceId): void {
    this.throttledActivity(deviceKey(user, device), user, device);
  }

  /** Every device reported live, in parts (after a reconnect, a new owner, or an audit). */
  sendState(): void {
    const all: LiveDevice[] = [];
    for (const d of this.devices.values()) if (d.reported !== null) all.push([d.user, d.device, d.reported]);
    const size = this.opts.statePartSize ?? 500;
    const parts = Math.max(1, Math.ceil(all.length / size));
    const gen = ++this.gen;
    for (let part = 0; part < parts; part++) {
      this.send({ t: "state", pid: this.opts.pid, gen, part, parts, devices: all.slice(part * size, (part + 1) * size) });
    }
  }

  /** Devices reported live (tests, metrics). */
  liveDevices(): number {
    return this.live;
  }

  private stopNow(key: string, d: LocalDevice): void {
    d.cancelStop = null;
    if (d.inFlight > 0 || this.devices.get(key) !== d) return;
    this.devices.delete(key);
    if (d.reported === null) return;
    this.report(d, null);
    this.send({ t: "stop", pid: this.opts.pid, user: d.user, device: d.device, at: d.endedAt });
  }

  private report(d: LocalDevice, sp: SyncPresence | null): void {
    if (d.reported !== null) {
      this.hash = removeHash(this.hash, deviceHash(d.user, d.device, d.reported));
      this.live--;
    }
    d.reported = sp;
    if (sp !== null) {
      this.hash = addHash(this.hash, deviceHash(d.user, d.device, sp));
      this.live++;
    }
  }

  private throttledActivity(key: string, user: UserId, device: DeviceId): void {
    const now = this.opts.clock.now();
    const last = this.activitySentAt.get(key);
    if (last !== undefined && now - last < this.opts.activityEveryMs) return;
    this.activitySentAt.set(key, now);
    this.send({ t: "activity", pid: this.opts.pid, user, device });
  }

  private heartbeat(): void {
    this.send({ t: "alive", pid: this.opts.pid, n: this.live, hash: this.hash });
    const now = this.opts.clock.now();
    for (const [key, at] of this.activitySentAt) if (now - at >= this.opts.activityEveryMs) this.activitySentAt.delete(key);
  }
}

/** The owner's presence service, as OwnerSyncs drives it. */
export interface SyncTarget {
  syncStarted(user: UserId, device: DeviceId, sp: SyncPresence): void;
  syncEnded(user: UserId, device: DeviceId, sp: SyncPresence, at: number): void;
  activity(user: UserId, device: DeviceId): void;
}

export interface OwnerSyncsOptions {
  clock: Clock;
  /** The owner's own process id: its relay delivers in process and is never declared dead. */
  selfPid: string;
  /** A process silent this long is dead: its devices stop at its last sign of life (ms). */
  deadAfterMs: number;
  /** At most one audit per process per this (ms). */
  auditEveryMs: number;
  /** Asks a process for its full device state. */
  audit(pid: string): void;
}

interface Process {
  lastSeen: number;
  devices: Map<string, LiveDevice>;
  hash: number;
  lastAudit: number;
  /** A `state` being received: its generation and parts so far. */
  incoming: { gen: number; parts: number; got: Map<number, LiveDevice[]> } | null;
}

/**
 * The owner's side: which devices each process says are syncing. A device counts as one sync in
 * flight in the presence service per process that reports it live, so it stays syncing while any
 * process says so.
 */
export class OwnerSyncs {
  private readonly procs = new Map<string, Process>();

  constructor(
    private readonly opts: OwnerSyncsOptions,
    private readonly target: SyncTarget,
  ) {}

  handle(m: InMessage): void {
    const now = this.opts.clock.now();
    if (m.t === "resync") return; // the replica's business, not ours
    if (m.t === "bye") {
      const p = this.procs.get(m.pid);
      if (p) this.endAll(p, now);
      this.procs.delete(m.pid);
      return;
    }
    const p = this.process(m.pid, now);
    p.lastSeen = now;
    switch (m.t) {
      case "start":
        this.start(p, m.user, m.device, m.sp, now);
        break;
      case "stop":
        this.stop(p, deviceKey(m.user, m.device), m.at);
        break;
      case "activity":
        this.target.activity(m.user, m.device);
        break;
      case "alive":
        // A lost start or stop shows here: ask for the full list (at most once per interval).
        if ((m.n !== p.devices.size || m.hash !== p.hash) && now - p.lastAudit >= this.opts.auditEveryMs) {
          p.lastAudit = now;
          this.opts.audit(m.pid);
        }
        break;
      case "state":
        this.receiveState(p, m.gen, m.part, m.parts, m.devices, now);
        break;
    }
  }

  /** Ends the devices of processes not heard from in deadAfterMs (killed, or cut off). */
  sweep(): void {
    const now = this.opts.clock.now();
    for (const [pid, p] of this.procs) {
      if (pid === this.opts.selfPid || now - p.lastSeen < this.opts.deadAfterMs) continue;
      this.endAll(p, p.lastSeen);
      this.procs.delete(pid);
    }
  }

  /**
   * The device was removed (logout, deletion): the presence service dropped it; no process's report
   * of it counts any more (a stop that follows finds nothing to end).
   */
  forget(user: UserId, device: DeviceId): void {
    const key = deviceKey(user, device);
    for (const p of this.procs.values()) {
      const cur = p.devices.get(key);
      if (!cur) continue;
      p.devices.delete(key);
      p.hash = removeHash(p.hash, deviceHash(user, device, cur[2]));
    }
  }

  /** Devices a process reports live (tests). */
  liveOf(pid: string): number {
    return this.procs.get(pid)?.devices.size ?? 0;
  }

  private process(pid: string, now: number): Process {
    let p = this.procs.get(pid);
    if (!p) this.procs.set(pid, (p = { lastSeen: now, devices: new Map(), hash: 0, lastAudit: Number.NEGATIVE_INFINITY, incoming: null }));
    return p;
  }

  private start(p: Process, user: UserId, device: DeviceId, sp: SyncPresence, now: number): void {
    const key = deviceKey(user, device);
    const cur = p.devices.get(key);
    if (cur?.[2] === sp) return;
    // Start the new one before ending the old, so the device never has no sync in between.
    this.target.syncStarted(user, device, sp);
    if (cur) {
      p.hash = removeHash(p.hash, deviceHash(user, device, cur[2]));
      this.target.syncEnded(user, device, cur[2], now);
    }
    p.devices.set(key, [user, device, sp]);
    p.hash = addHash(p.hash, deviceHash(user, device, sp));
  }

  private stop(p: Process, key: string, at: number): void {
    const cur = p.devices.get(key);
    if (!cur) return;
    p.devices.delete(key);
    p.hash = removeHash(p.hash, deviceHash(cur[0], cur[1], cur[2]));
    this.target.syncEnded(cur[0], cur[1], cur[2], at);
  }

  private endAll(p: Process, at: number): void {
    for (const key of [...p.devices.keys()]) this.stop(p, key, at);
  }

  private receiveState(p: Process, gen: number, part: number, parts: number, devices: LiveDevice[], now: number): void {
    if (p.incoming === null || p.incoming.gen !== gen) p.incoming = { gen, parts, got: new Map() };
    p.incoming.got.set(part, devices);
    if (p.incoming.got.size < p.incoming.parts) return;
    const all = [...p.incoming.got.values()].flat();
    p.incoming = null;
    const keep = new Set<string>();
    for (const [user, device, sp] of all) {
      keep.add(deviceKey(user, device));
      this.start(p, user, device, sp, now);
    }
    // Live here but not there: its stop was lost. When it stopped is unknown; now keeps it longest.
    for (const key of [...p.devices.keys()]) if (!keep.has(key)) this.stop(p, key, now);
  }
}
