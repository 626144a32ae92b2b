import { forbidden, type RoomId, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { PresenceHooks } from "../presence/presence-hooks";
import type { Notifier } from "../sync/notifier";
import type { Actor } from "./room-service";
import type { MembershipIndex } from "./membership-index";

export const MAX_TYPING_MS = 120_000;

/** Who is typing where: memory only, each entry expiring on the injected clock. */
export class TypingService {
  private readonly typing = new Map<RoomId, Map<UserId, () => void>>();
  private readonly roomPositions = new Map<RoomId, number>();
  private readonly listeners: ((roomId: RoomId, position: number) => void)[] = [];
  // Positions start at the wall clock so that a token from before a restart is never "in the future".
  private position: number;

  constructor(
    private readonly membership: MembershipIndex,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly hooks: PresenceHooks,
  ) {
    this.position = clock.now();
  }

  latest(): number {
    return this.position;
  }

  onChange(listener: (roomId: RoomId, position: number) => void): void {
    this.listeners.push(listener);
  }

  setTyping(actor: Actor, roomId: RoomId, typing: boolean, timeoutMs: number): void {
    if (!this.membership.isJoined(roomId, actor.userId)) throw forbidden("You are not in this room.");
    this.hooks.activity(actor.userId, actor.deviceId);
    let room = this.typing.get(roomId);
    const had = room?.has(actor.userId) ?? false;
    room?.get(actor.userId)?.();
    if (typing) {
      if (!room) this.typing.set(roomId, (room = new Map()));
      const ms = Math.max(0, Math.min(timeoutMs, MAX_TYPING_MS));
      room.set(actor.userId, this.clock.setTimer(ms, () => this.stop(roomId, actor.userId)));
      if (!had) this.changed(roomId);
    } else if (had) {
      room?.delete(actor.userId);
      if (room?.size === 0) this.typing.delete(roomId);
      this.changed(roomId);
    }
  }

  /**
   * In a cluster: a room's typers as the owner (which keeps the timers) has them now, at its position.
   * Each message states the whole list, so a lost one is mended by the room's next change.
   */
  follow(roomId: RoomId, typers: UserId[], position: number): void {
    const room = new Map<UserId, () => void>();
    for (const u of typers) room.set(u, () => {});
    if (room.size > 0) this.typing.set(roomId, room);
    else this.typing.delete(roomId);
    this.position = Math.max(this.position, position);
    this.roomPositions.set(roomId, position);
    for (const l of this.listeners) l(roomId, position);
    this.notifier.wakeRoom(roomId);
  }

  /** Cluster: this process became the owner; the lists it followed have no timers, so they end now (and everyone hears so). */
  dropFollowed(): void {
    for (const roomId of [...this.typing.keys()]) {
      this.typing.delete(roomId);
      this.changed(roomId);
    }
  }

  /** Clamps a position from another process's token: typing lives in memory, so it cannot be caught up. */
  acceptPosition(position: number): void {
    if (position > this.position) this.position = position;
  }

  typers(roomId: RoomId): UserId[] {
    return [...(this.typing.get(roomId)?.keys() ?? [])];
  }

  /** The position of the room's last typing change (0 when none since start-up). */
  roomPosition(roomId: RoomId): number {
    return this.roomPositions.get(roomId) ?? 0;
  }

  private stop(roomId: RoomId, userId: UserId): void {
    const room = this.typing.get(roomId);
    if (!room?.delete(userId)) return;
    if (room.size === 0) this.typing.delete(roomId);
    this.changed(roomId);
  }

  private changed(roomId: RoomId): void {
    this.position = Math.max(this.position + 1, this.clock.now());
    this.roomPositions.set(roomId, this.position);
    for (const l of this.listeners) l(roomId, this.position);
    this.notifier.wakeRoom(roomId);
  }
}
