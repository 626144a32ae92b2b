import type { RoomId, UserId } from "@axon/protocol";
import type { Logger } from "pino";
import type { NotificationService } from "../notifications/notification-service";
import type { PushAction } from "../push/push-rule-types";
import type { RoomEvent } from "../rooms/room-event";
import type { RoomWriter } from "../rooms/room-writer";
import { privateResolution, resolveAll, type Resolve } from "./gateway-address";
import { postNotify, type NotifyResult } from "./gateway-client";
import { namesOf, notifyBody, type NotifyFacts } from "./notify-body";
import type { PusherKey } from "./pusher-store";
import type { PusherService } from "./pusher-service";

/** True: do not push this notification now (it still counts). The busy policy supplies the real one. */
export type PushHold = (userId: UserId, event: RoomEvent, outcome: { highlight: boolean; actions: PushAction[] }) => boolean;

export interface DeliveryOptions {
  /** Each notify request, answer included (default 10 s). */
  timeoutMs?: number;
  /** The first retry's delay; each next one doubles (default 1 s). */
  retryBaseMs?: number;
  /** The longest delay between tries (default 5 min). */
  retryMaxMs?: number;
  /** Tries per notification before giving up (default 10). */
  maxAttempts?: number;
  /** No try starts later than this after the first (default 1 h). */
  giveUpAfterMs?: number;
  /** Requests in flight to one gateway URL at once (default 4). */
  concurrencyPerGateway?: number;
  /** Notifications waiting for one gateway URL; beyond it the oldest is dropped (default 1000). */
  maxQueuePerGateway?: number;
  /** Host name → addresses, for the private-address check (default node:dns lookup). */
  resolve?: Resolve;
  /** A monotonic clock in ms, for the give-up age (default performance.now). */
  now?: () => number;
}

/** One notification for one pusher, waiting or being sent. */
interface Job {
  pusher: PusherKey;
  /** `userId\0appId\0pushkey`: one job per pusher is in flight, so each pusher's pushes arrive in order. */
  id: string;
  url: string;
  body: { notification: Record<string, unknown> };
  eventId: string;
  attempts: number;
  firstTry: number | null;
}

/** Everything queued for one gateway URL. */
interface GatewayQueue {
  url: string;
  waiting: Job[];
  /** Requests in flight now. */
  active: number;
  /** Pushers with a job in flight or waiting for its retry: their next jobs wait behind it. */
  busy: Set<string>;
}

/**
 * Sends each notification to the recipient's pushers' gateways, off the event's path: the
 * notification service's listener only queues (in memory, bounded per gateway). Per gateway URL a
 * drain loop sends queued notifications back to back, at most `concurrencyPerGateway` at once and
 * one at a time per pusher; failures are retried with exponential backoff; pushkeys the gateway
 * rejects lose their pusher.
 */
export class PushDelivery {
  private readonly queues = new Map<string, GatewayQueue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly o: Required<DeliveryOptions>;
  private closed = false;

  constructor(
    private readonly d: {
      pushers: Pick<PusherService, "of" | "find" | "delete">;
      notifications: Pick<NotificationService, "onNotify" | "unreadTotal">;
      writer: Pick<RoomWriter, "peekState">;
      hold: PushHold;
      /** `push.allow_private_gateways`: off, each delivery first checks what the gateway's host resolves to. */
      allowPrivateGateways: boolean;
      log: Pick<Logger, "info" | "warn" | "error">;
    },
    opts: DeliveryOptions = {},
  ) {
    this.o = {
      timeoutMs: 10_000,
      retryBaseMs: 1000,
      retryMaxMs: 5 * 60_000,
      maxAttempts: 10,
      giveUpAfterMs: 60 * 60_000,
      concurrencyPerGateway: 4,
      maxQueuePerGateway: 1000,
      resolve: resolveAll,
      now: () => performance.now(),
      ...opts,
    };
  }

  start(): void {
    this.d.notifications.onNotify((userId, event, outcome) => this.notified(userId, event, outcome));
  }

  /** Stops the retry timers, aborts the requests in flight and drops what waits. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queues.clear();
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Notifications waiting or in flight, over all gateways (for tests and logs). */
  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.waiting.length + q.busy.size;
    return n;
  }

  /** The listener: in the event's tick, so it only builds the bodies and queues them. */
  private notified(userId: UserId, event: RoomEvent, outcome: { highlight: boolean; actions: PushAction[] }): void {
    if (this.closed) return;
    const pushers = this.d.pushers.of(userId);
    if (pushers.length === 0) return;
    let held = false;
    try {
      held = this.d.hold(userId, event, outcome);
    } catch (err) {
      this.d.log.error({ err }, "the push hold failed; pushing");
    }
    if (held) return;
    const facts: NotifyFacts = {
      event,
      recipient: userId,
      highlight: outcome.highlight,
      actions: outcome.actions,
      unread: this.d.notifications.unreadTotal(userId),
      ...namesOf(this.d.writer.peekState(event.room_id as RoomId), event.sender),
    };
    for (const p of pushers) {
      const url = p.data.url;
      if (typeof url !== "string") continue;
      const key = { userId: p.userId, appId: p.appId, pushkey: p.pushkey };
      this.enqueue({ pusher: key, id: `${key.userId}\0${key.appId}\0${key.pushkey}`, url, body: notifyBody(facts, p), eventId: event.event_id, attempts: 0, firstTry: null });
    }
  }

  private enqueue(job: Job): void {
    let q = this.queues.get(job.url);
    if (!q) this.queues.set(job.url, (q = { url: job.url, waiting: [], active: 0, busy: new Set() }));
    q.waiting.push(job);
    if (q.waiting.length > this.o.maxQueuePerGateway) {
      const dropped = q.waiting.shift()!;
      this.d.log.warn({ gateway: gatewayName(q.url), userId: dropped.pusher.userId, eventId: dropped.eventId }, "push gateway queue full: dropped the oldest notification");
    }
    this.drain(q);
  }

  /** Starts waiting jobs whose pusher is free, up to the gateway's concurrency. */
  private drain(q: GatewayQueue): void {
    if (this.closed) return;
    for (let i = 0; i < q.waiting.length && q.active < this.o.concurrencyPerGateway; ) {
      const job = q.waiting[i]!;
      if (q.busy.has(job.id)) {
        i++;
        continue;
      }
      q.waiting.splice(i, 1);
      q.busy.add(job.id);
      q.active++;
      const run = this.attempt(q, job);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
    if (q.waiting.length === 0 && q.active === 0 && q.busy.size === 0 && this.queues.get(q.url) === q) this.queues.delete(q.url);
  }

  /** One try of one job; then frees its pusher (or schedules its retry) and drains again. */
  private async attempt(q: GatewayQueue, job: Job): Promise<void> {
    let retryIn: number | null = null;
    try {
      const pusher = this.d.pushers.find(job.pusher);
      // Deleted, rejected or moved to another gateway since it was queued: nothing to send.
      if (!pusher || pusher.data.url !== job.url) return;
      job.attempts++;
      job.firstTry ??= this.o.now();
      const result = await this.send(job);
      if (this.closed) return;
      retryIn = await this.settle(job, result);
    } catch (err) {
      this.d.log.error({ err, gateway: gatewayName(job.url) }, "push delivery failed");
    } finally {
      q.active--;
      if (retryIn === null) q.busy.delete(job.id);
      else this.retryLater(q, job, retryIn);
      this.drain(q);
    }
  }

  private async send(job: Job): Promise<NotifyResult> {
    if (!this.d.allowPrivateGateways) {
      try {
        const address = await privateResolution(new URL(job.url), this.o.resolve);
        if (address !== null) return { kind: "drop", reason: `the gateway's host resolves to a private address (${address}); push.allow_private_gateways is off` };
      } catch (err) {
        return { kind: "retry", reason: `cannot resolve the gateway's host: ${(err as Error).message}` };
      }
    }
    return postNotify(job.url, job.body, { timeoutMs: this.o.timeoutMs, signal: this.abort.signal });
  }

  /** Acts on the answer; returns the delay before the next try, or null when the job is done. */
  private async settle(job: Job, result: NotifyResult): Promise<number | null> {
    const ctx = { gateway: gatewayName(job.url), userId: job.pusher.userId, appId: job.pusher.appId, eventId: job.eventId, attempt: job.attempts };
    if (result.kind === "sent") {
      if (result.rejected.includes(job.pusher.pushkey)) {
        this.d.log.info(ctx, "the push gateway rejected the pushkey: pusher removed");
        await this.d.pushers.delete(job.pusher);
      }
      return null;
    }
    if (result.kind === "drop") {
      this.d.log.warn({ ...ctx, reason: result.reason }, "push not delivered");
      return null;
    }
    const delay = Math.min(this.o.retryBaseMs * 2 ** (job.attempts - 1), this.o.retryMaxMs);
    if (job.attempts >= this.o.maxAttempts || this.o.now() + delay - (job.firstTry ?? 0) > this.o.giveUpAfterMs) {
      this.d.log.warn({ ...ctx, reason: result.reason }, "push not delivered: gave up");
      return null;
    }
    this.d.log.info({ ...ctx, reason: result.reason, retryInMs: delay }, "push gateway failed; will retry");
    return delay;
  }

  /** The job goes back to the head of its queue after `ms`; its pusher's later jobs keep waiting behind it. */
  private retryLater(q: GatewayQueue, job: Job, ms: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      q.busy.delete(job.id);
      if (this.queues.get(q.url) !== q) this.queues.set(q.url, q);
      q.waiting.unshift(job);
      this.drain(q);
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}

function gatewayName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}
