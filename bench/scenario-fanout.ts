import { DeliveryTracker } from "./delivery-tracker";
import { header, round, setUp, Window, serverLabel, waitForQuiet } from "./harness";
import type { HttpResult, JsonClient } from "./http-client";
import type { FanoutOptions } from "./options";
import { sleep } from "./pool";
import type { BenchResult } from "./result";
import type { BenchUser } from "./seed";
import { Samples } from "./stats";
import { SyncWatchers } from "./sync-watchers";
import { audience, rng, shuffled, type Topology } from "./topology";

/** Each user cycles through these, so every PUT is a real change. */
export const STATE_CYCLE = ["online", "org.matrix.msc3026.busy", "unavailable"] as const;

/** Who watches, who changes in which order, and who must see each change: all from the seed. */
export interface FanoutPlan {
  watchers: number[];
  isWatcher: Uint8Array;
  /** Users in the seeded order in which they take turns changing. */
  order: number[];
  /** The watchers that must see a change by `user`. */
  recipientsOf(user: number): number[];
  tracker: DeliveryTracker;
}

export function fanoutPlan(o: Pick<FanoutOptions, "users" | "watchers" | "seed">, topology: Topology): FanoutPlan {
  const random = rng(o.seed + 1);
  const isWatcher = new Uint8Array(o.users);
  const watchers = shuffled(o.users, random).slice(0, o.watchers).sort((a, b) => a - b);
  for (const w of watchers) isWatcher[w] = 1;
  const audiences = new Map<number, number[]>();
  const audienceOf = (u: number) => {
    let a = audiences.get(u);
    if (!a) audiences.set(u, (a = audience(topology, u)));
    return a;
  };
  const tracker = new DeliveryTracker((w, s) => audienceOf(s).includes(w));
  const order = shuffled(o.users, random);
  return { watchers, isWatcher, order, recipientsOf: (u) => audienceOf(u).filter((w) => isWatcher[w] === 1), tracker };
}

/** One presence change of the open loop: its sequence number, user, state and send time. */
export interface Change {
  seq: number;
  user: number;
  state: string;
  sentAt: number;
  recipients: number[];
}

export interface ChangeRun {
  total: number;
  ok: number;
  errors: number;
  latency: Samples;
  maxLagMs: number;
  /** performance.now() of the first change and after the last was sent. */
  start: number;
  sendEnd: number;
}

/**
 * The open loop of presence changes (each PUT due at start + i / rate, whatever the replies do),
 * then the drain: waits up to drainS for the tracker's outstanding deliveries. `put` sends one
 * change (the scenario picks the process and the body); `settled` hears each outcome (null: no answer).
 */
export async function driveChanges(p: {
  rate: number;
  durationS: number;
  drainS: number;
  plan: FanoutPlan;
  users: readonly BenchUser[];
  put(u: BenchUser, change: Change): Promise<HttpResult>;
  settled?(change: Change, res: HttpResult | null): void;
  log(msg: string): void;
}): Promise<ChangeRun> {
  const { plan, users } = p;
  const cycle = new Uint32Array(users.length);
  const total = Math.round(p.rate * p.durationS);
  const run: ChangeRun = { total, ok: 0, errors: 0, latency: new Samples(), maxLagMs: 0, start: performance.now(), sendEnd: 0 };
  const inflight = new Set<Promise<void>>();
  const fail = (msg: string) => {
    run.errors++;
    if (run.errors <= 3) p.log(msg);
  };
  const fire = (seq: number) => {
    const user = plan.order[seq % plan.order.length] as number;
    const state = STATE_CYCLE[(cycle[user] as number) % STATE_CYCLE.length] as string;
    cycle[user]!++;
    const sentAt = performance.now();
    run.maxLagMs = Math.max(run.maxLagMs, sentAt - (run.start + (seq * 1000) / p.rate));
    const change: Change = { seq, user, state, sentAt, recipients: plan.recipientsOf(user) };
    plan.tracker.recordChange(user, state, sentAt, change.recipients);
    const req = p
      .put(users[user]!, change)
      .then(
        (res) => {
          run.latency.push(res.ms);
          if (res.status === 200) run.ok++;
          else fail(`PUT presence: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          p.settled?.(change, res);
        },
        (err: unknown) => {
          fail(`PUT presence failed: ${(err as Error).message}`);
          p.settled?.(change, null);
        },
      )
      .finally(() => inflight.delete(req));
    inflight.add(req);
  };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - run.start) * p.rate) / 1000) + 1);
    while (sent < due) fire(sent++);
    await sleep(Math.max(1, Math.min(10, 1000 / p.rate)));
  }
  run.sendEnd = performance.now();
  await Promise.all(inflight);
  const drainUntil = performance.now() + p.drainS * 1000;
  while (plan.tracker.outstanding() > 0 && performance.now() < drainUntil) await sleep(20);
  return run;
}

/** A presence PUT of the change's state on `client`. */
export const putPresence = (client: JsonClient, u: BenchUser, body: Record<string, unknown>) =>
  client.request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, { token: u.token, body });

/** The result's sections shared by every fan-out run (one process or several). */
export function fanoutSections(o: Pick<FanoutOptions, "drainS">, plan: FanoutPlan, run: ChangeRun, sync: SyncWatchers["stats"], measured: Pick<BenchResult, "window_s" | "server" | "warnings">) {
  const counts = plan.tracker.counts();
  const warnings = [...measured.warnings];
  if (counts.lost > 0) warnings.push(`${counts.lost} deliveries lost (not seen ${o.drainS} s after the last change)`);
  if (counts.unexpected > 0) warnings.push(`${counts.unexpected} presence events reached users who share no room with the sender`);
  if (run.errors > 0) warnings.push(`${run.errors} presence PUTs failed`);
  if (run.maxLagMs > 100) warnings.push(`the open loop fell behind its schedule by up to ${run.maxLagMs.toFixed(0)} ms`);
  return {
    warnings,
    deliveries: { ...counts, per_s: round(counts.seen / measured.window_s) },
    latency_ms: plan.tracker.latencies.summary(),
    put: { sent: run.total, ok: run.ok, errors: run.errors, latency_ms: run.latency.summary(), achieved_rate: round(run.total / ((run.sendEnd - run.start) / 1000)) },
    syncs: { responses: sync.responses, woken: sync.woken, events: sync.events, errors: sync.errors, errors_by_status: sync.errorsByStatus },
    cpu_per_woken_sync_ms: sync.woken ? round((measured.server.cpu_s * 1000) / sync.woken, 3) : Number.NaN,
  };
}

/** fanout (and bigroom): W watchers long-poll, U presence PUTs/s open loop, every delivery timed. */
export async function runFanout(o: FanoutOptions, scenario: "fanout" | "bigroom"): Promise<BenchResult> {
  const bench = await setUp(o);
  try {
    const { client, users, topology, log } = bench;
    const plan = fanoutPlan(o, topology);
    const sync = new SyncWatchers(client, {
      timeoutMs: o.syncTimeoutMs,
      setPresence: "offline",
      onPresence: (w, ev, at) => {
        const sender = bench.indexOf.get(ev.sender);
        if (sender !== undefined) plan.tracker.recordEvent(w, sender, ev.state, at);
      },
    });
    const watcherUsers = plan.watchers.map((w) => users[w]!);
    log(`initial sync of ${watcherUsers.length} watchers`);
    await sync.initial(watcherUsers, 32);
    sync.start(watcherUsers);
    // Let every long-poll reach the server before the clock starts.
    await sleep(Math.min(5000, 500 + watcherUsers.length / 5));
    sync.resetStats();

    log(`measuring: ${Math.round(o.rate * o.durationS)} changes at ${o.rate}/s`);
    const quietWaitS = await waitForQuiet(bench.server.pid, o.quietWaitS, bench.log);
    const window = await Window.open(bench.server);
    const run = await driveChanges({ ...o, plan, users, log, put: (u, c) => putPresence(client, u, { presence: c.state }) });
    const measured = await window.close(serverLabel(o), o.cpuProf, scenario);
    sync.stop();
    return {
      ...header(scenario, o),
      ...measured,
      ...fanoutSections(o, plan, run, sync.stats, measured),
      extra: { quiet_wait_s: quietWaitS, rooms: topology.rooms.length, watchers: plan.watchers.length, schedule_lag_max_ms: round(run.maxLagMs) },
    };
  } finally {
    await bench.close();
  }
}
