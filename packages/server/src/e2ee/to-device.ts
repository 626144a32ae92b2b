import type { DeviceId, UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { Notifier } from "../sync/notifier";
import { Serial } from "../sync/serial";
import type { StreamProvider, SyncRequest, SyncResponse } from "../sync/stream-provider";
import type { JsonObject, ToDeviceStore } from "./e2ee-store";
import type { KeyService } from "./key-service";

const deviceKey = (userId: UserId, deviceId: DeviceId) => `${userId}\u0000${deviceId}`;

/**
 * To-device messages: stored (with the sender's transaction id) before the answer, kept until the
 * recipient device's next /sync shows it received them. Positions commit in order (one writer).
 */
export class ToDeviceService {
  private readonly serial = new Serial();
  private position = 0;
  private floor = 0;
  /** device → newest position stored for it (since start-up). */
  private readonly newest = new Map<string, number>();
  /** device → newest position it may still hold undeleted (delivered but not yet acknowledged). */
  private readonly unacknowledged = new Map<string, number>();
  private sentListener: (position: number, devices: { userId: UserId; deviceId: DeviceId }[]) => void = () => {};

  constructor(
    private readonly store: ToDeviceStore,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.position = this.floor = await this.store.maxPosition();
  }

  latest(): number {
    return this.position;
  }

  /** Stores and wakes the recipients; a repeated transaction id stores nothing. */
  send(sender: UserId, senderDevice: DeviceId, txnId: string, messages: { userId: UserId; deviceId: DeviceId; type: string; content: JsonObject }[]): Promise<void> {
    return this.serial.run(async () => {
      const position = this.position + 1;
      const stored = await this.store.send({ sender, senderDevice, txnId, ts: this.clock.now() }, messages, position);
      if (!stored || messages.length === 0) return;
      this.position = position;
      for (const m of messages) this.newest.set(deviceKey(m.userId, m.deviceId), position);
      this.sentListener(position, messages);
      this.notifier.wakeUsers(new Set(messages.map((m) => m.userId)));
    });
  }

  /** Told about each send stored here: its position and the devices it is for. */
  onSent(listener: (position: number, devices: { userId: UserId; deviceId: DeviceId }[]) => void): void {
    this.sentListener = listener;
  }

  /** In a cluster: messages another process stored (`devices` null: not known, after missed messages — every device may have some). */
  follow(position: number, devices: { userId: UserId; deviceId: DeviceId }[] | null): void {
    if (position <= this.position) return;
    this.position = position;
    if (devices === null) {
      this.floor = position;
      return;
    }
    for (const d of devices) this.newest.set(deviceKey(d.userId, d.deviceId), position);
    this.notifier.wakeUsers(new Set(devices.map((d) => d.userId)));
  }

  /** Whether the device may have messages after `from` (from memory; devices unseen since start-up: maybe). */
  mayHave(userId: UserId, deviceId: DeviceId, from: number | null): boolean {
    return from === null || (this.newest.get(deviceKey(userId, deviceId)) ?? this.floor) > from;
  }

  /** Deletes what the device acknowledged (`from`), then returns what is newer, up to `to`. */
  async fetch(userId: UserId, deviceId: DeviceId, from: number | null, to: number): Promise<{ sender: UserId; type: string; content: JsonObject }[]> {
    if (from !== null) await this.store.acknowledge(userId, deviceId, from);
    const msgs = await this.store.pending(userId, deviceId, from, to);
    const k = deviceKey(userId, deviceId);
    if (msgs.length > 0) this.unacknowledged.set(k, Math.max(this.unacknowledged.get(k) ?? 0, msgs[msgs.length - 1]!.position));
    else this.unacknowledged.delete(k);
    return msgs.map((m) => ({ sender: m.sender, type: m.type, content: m.content }));
  }

  /** When a sync with nothing new shows the device has what it was given: delete it, in the background. */
  acknowledgeIfDue(userId: UserId, deviceId: DeviceId, from: number | null): void {
    if (from === null) return;
    const k = deviceKey(userId, deviceId);
    const pending = this.unacknowledged.get(k);
    if (pending === undefined || pending > from) return;
    this.unacknowledged.delete(k);
    this.store.acknowledge(userId, deviceId, from).catch(this.onError);
  }
}

/** `to_device.events`, plus the device's one-time-key counts and unused fallback key types. */
export class ToDeviceProvider implements StreamProvider {
  readonly key = "to_device";

  constructor(
    private readonly toDevice: ToDeviceService,
    private readonly keys: KeyService,
  ) {}

  latest(): number {
    return this.toDevice.latest();
  }

  fill(req: SyncRequest, from: number | null, to: number, res: SyncResponse): boolean | Promise<boolean> {
    const { userId, deviceId } = req;
    const counts = this.keys.cachedCounts(userId, deviceId);
    const due = this.toDevice.mayHave(userId, deviceId, from);
    if (counts && !due) {
      res.device_one_time_keys_count = counts.oneTimeKeys;
      res.device_unused_fallback_key_types = counts.unusedFallback;
      this.toDevice.acknowledgeIfDue(userId, deviceId, from);
      return false;
    }
    return this.fillAsync(req, from, to, res, due);
  }

  private async fillAsync(req: SyncRequest, from: number | null, to: number, res: SyncResponse, due: boolean): Promise<boolean> {
    const { userId, deviceId } = req;
    const counts = await this.keys.counts(userId, deviceId);
    res.device_one_time_keys_count = counts.oneTimeKeys;
    res.device_unused_fallback_key_types = counts.unusedFallback;
    if (!due) {
      this.toDevice.acknowledgeIfDue(userId, deviceId, from);
      return false;
    }
    const events = await this.toDevice.fetch(userId, deviceId, from, to);
    if (events.length === 0) return false;
    res.to_device = { events };
    return true;
  }
}
