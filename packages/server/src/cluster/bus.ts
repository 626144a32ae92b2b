// The message bus between the processes of one server: small JSON messages over Redis pub/sub.
//
// Pub/sub is at most once: a process hears only what is published while its subscriber connection
// is up, and nothing is kept. So the bus carries wake-ups, never the record; a listener that is told
// about a reconnect (`onReconnect`) catches up from the database.
//
// Cost, measured with a throwaway benchmark (not in the tests) on the development machine: 2 shared
// cores, Redis 7.0 on localhost, Node 20, 116-byte messages, two buses in one process. A publish
// costs about 30 µs of CPU, nearly all of it node-redis's command machinery (JSON.stringify is 2 µs);
// hearing one about 10 µs (parse and dispatch). One process publishes about 17,000 messages a
// second heard by both; one message's round trip through Redis is about 0.1 ms (p50). Cheap next to
// what a wake-up causes (a database read), but not free: publish per change, not per request.
// node-redis gives up on a command not written within 5 s, so a burst of ~100,000 publishes in one
// synchronous loop drops its tail (logged once).
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createClient } from "redis";

export type BusLog = Pick<Logger, "info" | "warn" | "error">;
export type BusHandler = (message: unknown) => void;

export interface ClusterBus {
  /** Random id of this process, chosen at start. */
  readonly processId: string;
  /**
   * Fire and forget: JSON-encodes and publishes on `${prefix}:${channel}`. Never throws; while Redis
   * is unreachable messages are dropped (logged once per outage, not per message).
   */
  publish(channel: string, message: unknown): void;
  /**
   * The handler gets the parsed message of every publish on that channel by any process, this one
   * included (one code path serves local and remote). Malformed payloads are logged and dropped.
   */
  subscribe(channel: string, handler: BusHandler): void;
  /**
   * Resolves once every `subscribe` so far is active at the broker: a publish by any process after
   * that is heard. (Subscribing is asynchronous; read the catch-up from the database after this.)
   */
  subscribed(): Promise<void>;
  /**
   * Called after the subscriber connection comes back from an outage (messages in between may be
   * lost: listeners catch up from the database). Not called for the first connect.
   */
  onReconnect(handler: () => void): void;
  /** True while both connections are up. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** A channel's handlers; parses each payload once and shields the caller from handlers that throw. */
class Handlers {
  private readonly byChannel = new Map<string, Set<BusHandler>>();
  constructor(private readonly log: BusLog) {}

  /** Adds a handler; true when it is the channel's first. */
  add(channel: string, handler: BusHandler): boolean {
    const set = this.byChannel.get(channel);
    if (set) {
      set.add(handler);
      return false;
    }
    this.byChannel.set(channel, new Set([handler]));
    return true;
  }

  clear(): void {
    this.byChannel.clear();
  }

  deliver(channel: string, payload: string): void {
    const set = this.byChannel.get(channel);
    if (!set) return;
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      this.log.warn({ channel, payload: payload.slice(0, 100) }, "cluster bus: malformed message dropped");
      return;
    }
    for (const handler of set) {
      try {
        handler(message);
      } catch (err) {
        this.log.error({ err, channel }, "cluster bus: a message handler failed");
      }
    }
  }
}

function encode(log: BusLog, channel: string, message: unknown): string | undefined {
  try {
    const payload = JSON.stringify(message);
    if (payload !== undefined) return payload;
  } catch (err) {
    log.error({ err, channel }, "cluster bus: message is not JSON; dropped");
    return undefined;
  }
  log.error({ channel }, "cluster bus: message encodes to nothing (undefined or a function); dropped");
  return undefined;
}

function callAll(log: BusLog, handlers: Iterable<() => void>): void {
  for (const handler of handlers) {
    try {
      handler();
    } catch (err) {
      log.error({ err }, "cluster bus: a reconnect handler failed");
    }
  }
}

/** The url for messages: without its password. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** True when `p` resolves within `ms`, false when the time runs out first. */
async function within(ms: number, p: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Retry forever: 50 ms, 100 ms, ... capped at 1 s, so a restarted Redis is found within a second. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), 1000);
}

type Client = ReturnType<typeof createClient>;

export interface RedisBusOptions {
  /** `redis://[[user]:password@]host[:port][/db]`. */
  url: string;
  /** Isolates servers (and tests) sharing one Redis: every channel is `${prefix}:${channel}`. */
  prefix: string;
  log: BusLog;
  processId?: string;
  /** How long `connect` waits for Redis at start before failing; default 5 s. */
  connectTimeoutMs?: number;
}

export class RedisBus implements ClusterBus {
  readonly processId: string;
  private readonly handlers: Handlers;
  private readonly reconnectHandlers: Array<() => void> = [];
  /** Subscribes not yet acknowledged by Redis. */
  private readonly pending = new Set<Promise<void>>();
  /** Channels whose SUBSCRIBE failed (the connection died under it): issued again on the next connect. */
  private readonly unconfirmed = new Set<string>();
  /** Publishes dropped since the last one that went out; the first of a run is logged. */
  private droppedCount = 0;
  private closed = false;
  /** Last connection error, for the message when the first connect times out. */
  private lastError = "";

  /** Connects both connections, or throws naming the url when Redis does not answer in time. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const shown = shownUrl(opts.url);
    const waitMs = opts.connectTimeoutMs ?? 5000;
    let pub: Client;
    let sub: Client;
    try {
      pub = createClient({
        url: opts.url,
        socket: { connectTimeout: Math.min(waitMs, 2000), reconnectStrategy: (retries) => reconnectDelay(retries) },
        // Publishes caught by a dying connection are dropped, not replayed late after the reconnect.
        disableOfflineQueue: true,
      });
      // A subscribed connection cannot publish: the second one only listens. Its offline queue keeps
      // a SUBSCRIBE asked for during an outage until the connection is back.
      sub = pub.duplicate({ disableOfflineQueue: false });
    } catch (err) {
      throw new Error(`cluster bus: bad Redis url ${shown}: ${(err as Error).message}`, { cause: err });
    }
    const bus = new RedisBus(pub, sub, opts.prefix, opts.log, opts.processId ?? randomUUID(), shown);
    // Both retry forever: the first connect is bounded here, and destroy() ends the retrying.
    const connecting = Promise.all([pub.connect(), sub.connect()]);
    connecting.catch(() => {});
    if (await within(waitMs, connecting).catch(() => false)) return bus;
    bus.closed = true;
    pub.destroy();
    sub.destroy();
    const why = bus.lastError ? `: ${bus.lastError}` : "";
    throw new Error(`cluster bus: cannot reach Redis at ${shown} (waited ${waitMs / 1000} s)${why}`);
  }

  private constructor(
    private readonly pub: Client,
    private readonly sub: Client,
    private readonly prefix: string,
    private readonly log: BusLog,
    processId: string,
    private readonly url: string,
  ) {
    this.processId = processId;
    this.handlers = new Handlers(log);
    this.watch(pub, "publisher");
    this.watch(sub, "subscriber", () => {
      // node-redis has already sent SUBSCRIBE again for every confirmed channel before "ready";
      // the ones whose first SUBSCRIBE died with the old connection are ours to send again.
      for (const channel of [...this.unconfirmed]) this.listen(channel);
      callAll(this.log, this.reconnectHandlers);
    });
  }

  get connected(): boolean {
    return !this.closed && this.pub.isReady && this.sub.isReady;
  }

  publish(channel: string, message: unknown): void {
    if (this.closed) return;
    const payload = encode(this.log, channel, message);
    if (payload === undefined) return;
    // Not ready: drop rather than queue (an offline queue would replay stale wake-ups in a burst).
    if (!this.pub.isReady) return this.dropped();
    // One connection, commands written in call order: Redis delivers them in that order.
    this.pub.publish(this.key(channel), payload).then(this.published, this.failed);
  }

  subscribe(channel: string, handler: BusHandler): void {
    if (this.closed) return;
    if (this.handlers.add(channel, handler)) this.listen(channel);
  }

  /** (While Redis is down, waits for it: a SUBSCRIBE asked for then goes out on the reconnect.) */
  async subscribed(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.reconnectHandlers.length = 0;
    this.sub.destroy();
    // Let the publishes already written go out, but do not wait on a dead Redis.
    if (this.pub.isReady) await within(1000, this.pub.close().catch(() => {}));
    this.pub.destroy();
  }

  private key(channel: string): string {
    return `${this.prefix}:${channel}`;
  }

  private listen(channel: string): void {
    this.unconfirmed.delete(channel);
    const p = this.sub
      .subscribe(this.key(channel), (payload: string) => {
        if (!this.closed) this.handlers.deliver(channel, payload);
      })
      .catch((err: unknown) => {
        if (this.closed) return;
        this.unconfirmed.add(channel);
        this.log.warn({ err, channel }, "cluster bus: subscribe failed; retried when Redis is back");
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private readonly published = (): void => {
    if (this.droppedCount === 0) return;
    this.log.info({ dropped: this.droppedCount, url: this.url }, "cluster bus: publishing again");
    this.droppedCount = 0;
  };

  private readonly failed = (err: unknown): void => this.dropped(err);

  /** Logs the first drop of a run (an outage, or commands timing out in a burst), not every one. */
  private dropped(err?: unknown): void {
    if (this.closed || this.droppedCount++ > 0) return;
    const why = this.pub.isReady ? "publish failed" : "Redis unreachable";
    this.log.warn({ err, url: this.url }, `cluster bus: ${why}; dropping published messages until one goes out`);
  }

  /** Logs an outage once (not every retry), and calls `back` when a connection that was up is up again. */
  private watch(client: Client, role: string, back?: () => void): void {
    let everUp = false;
    let downSince: number | undefined;
    client.on("error", (err: Error) => {
      this.lastError = err.message || err.name;
      if (!everUp || downSince !== undefined || this.closed) return;
      downSince = performance.now();
      this.log.warn({ err, role, url: this.url }, "cluster bus: Redis connection lost; reconnecting");
    });
    client.on("ready", () => {
      if (this.closed) return;
      if (!everUp) {
        everUp = true;
        return;
      }
      const downMs = downSince === undefined ? 0 : Math.round(performance.now() - downSince);
      downSince = undefined;
      this.log.info({ role, url: this.url, downMs }, "cluster bus: Redis connection restored");
      back?.();
    });
  }
}

/**
 * In memory, for unit tests of other cluster parts: every bus of one hub hears every publish of any
 * of them, asynchronously (a microtask) and in publish order. Messages go through JSON like Redis's.
 */
export class LocalHub {
  private readonly buses = new Set<LocalBus>();
  private down = false;

  constructor(private readonly log: BusLog = testLog) {}

  bus(processId: string = randomUUID()): ClusterBus {
    const bus = new LocalBus(this, processId, this.log);
    this.buses.add(bus);
    return bus;
  }

  /** Simulates a Redis outage: `connected` is false and publishes are dropped until `restore()`. */
  outage(): void {
    this.down = true;
  }

  /** Ends an outage: every bus's `onReconnect` handlers run. */
  restore(): void {
    if (!this.down) return;
    this.down = false;
    for (const bus of this.buses) bus.reconnected();
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Where every publish of the hub's buses goes (a test may wrap it to delay or drop messages). */
  send(channel: string, payload: string): void {
    if (this.down) return;
    queueMicrotask(() => {
      for (const bus of this.buses) bus.deliver(channel, payload);
    });
  }

  /** @internal */
  remove(bus: LocalBus): void {
    this.buses.delete(bus);
  }
}

class LocalBus implements ClusterBus {
  private readonly handlers: Handlers;
  private readonly reconnectHandlers: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly hub: LocalHub,
    readonly processId: string,
    private readonly log: BusLog,
  ) {
    this.handlers = new Handlers(log);
  }

  get connected(): boolean {
    return !this.closed && !this.hub.isDown;
  }

  publish(channel: string, message: unknown): void {
    if (this.closed) return;
    const payload = encode(this.log, channel, message);
    if (payload !== undefined) this.hub.send(channel, payload);
  }

  subscribe(channel: string, handler: BusHandler): void {
    if (!this.closed) this.handlers.add(channel, handler);
  }

  async subscribed(): Promise<void> {}

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.hub.remove(this);
  }

  deliver(channel: string, payload: string): void {
    if (!this.closed) this.handlers.deliver(channel, payload);
  }

  reconnected(): void {
    if (!this.closed) callAll(this.log, this.reconnectHandlers);
  }
}

/** A hub's default log: quiet, but a handler's exception or a bad message still shows in the test output. */
const testLog: BusLog = { info: () => {}, warn: (...a: unknown[]) => console.warn(...a), error: (...a: unknown[]) => console.error(...a) };
