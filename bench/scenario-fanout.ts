import { DeliveryTracker } from "./delivery-tracker";
import { header, round, setUp, Window, serverLabel, waitForQuiet } from "./harness";
import type { FanoutOptions } from "./options";
import { sleep } from "./pool";
import type { BenchResult } from "./result";
import { Samples } from "./stats";
import { SyncWatchers } from "./sync-watchers";
import { audience, rng, shuffled } from "./topology";

/** Each user cycles through these, so every PUT is a real change. */
export const STATE_CYCLE = ["online", "org.matrix.msc3026.busy", "unavailable"] as const;

/** fanout (and bigroom): W watchers long-poll, U presence PUTs/s open loop, every delivery timed. */
export async function runFanout(o: FanoutOptions, scenario: "fanout" | "bigroom"): Promise<BenchResult> {
  const bench = await setUp(o);
  try {
    const { client, users, topology, log } = bench;
    const random = rng(o.seed + 1);
    const watcherSet = new Uint8Array(o.users);
    const watchers = shuffled(o.users, random).slice(0, o.watchers).sort((a, b) => a - b);
    for (const w of watchers) watcherSet[w] = 1;
    const audiences = new Map<number, number[]>();
    const audienceOf = (u: number) => {
      let a = audiences.get(u);
      if (!a) audiences.set(u, (a = audience(topology, u)));
      return a;
    };
    const tracker = new DeliveryTracker((w, s) => audienceOf(s).includes(w));
    const sync = new SyncWatchers(client, {
      timeoutMs: o.syncTimeoutMs,
      setPresence: "offline",
      onPresence: (w, ev, at) => {
        const sender = bench.indexOf.get(ev.sender);
        if (sender !== undefined) tracker.recordEvent(w, sender, ev.state, at);
      },
    });
    const watcherUsers = watchers.map((w) => users[w]!);
    log(`initial sync of ${watchers.length} watchers`);
    await sync.initial(watcherUsers, 32);
    sync.start(watcherUsers);
    // Let every long-poll reach the server before the clock starts.
    await sleep(Math.min(5000, 500 + watchers.length / 5));
    sync.resetStats();

    const order = shuffled(o.users, random);
    const cycle = new Uint32Array(o.users);
    const total = Math.round(o.rate * o.durationS);
    const putLatency = new Samples();
    let putOk = 0;
    let putErrors = 0;
    let maxLagMs = 0;
    const inflight = new Set<Promise<void>>();
    log(`measuring: ${total} changes at ${o.rate}/s`);
    const quietWaitS = await waitForQuiet(bench.server.pid, o.quietWaitS, bench.log);
    const window = await Window.open(bench.server);
    const start = performance.now();
    let sent = 0;
    const fire = (i: number) => {
      const user = order[i % order.length] as number;
      const state = STATE_CYCLE[(cycle[user] as number) % STATE_CYCLE.length] as string;
      cycle[user]!++;
      const u = users[user]!;
      const sentAt = performance.now();
      maxLagMs = Math.max(maxLagMs, sentAt - (start + (i * 1000) / o.rate));
      tracker.recordChange(user, state, sentAt, audienceOf(user).filter((w) => watcherSet[w] === 1));
      const p = client
        .request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, { token: u.token, body: { presence: state } })
        .then(
          (res) => {
            putLatency.push(res.ms);
            if (res.status === 200) putOk++;
            else {
              putErrors++;
              if (putErrors <= 3) log(`PUT presence: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
            }
          },
          (err: unknown) => {
            putErrors++;
            if (putErrors <= 3) log(`PUT presence failed: ${(err as Error).message}`);
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    // Open loop: changes are due by the clock, whatever the replies do.
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * o.rate) / 1000) + 1);
      while (sent < due) fire(sent++);
      await sleep(Math.max(1, Math.min(10, 1000 / o.rate)));
    }
    const sendEnd = performance.now();
    await Promise.all(inflight);
    const drainUntil = performance.now() + o.drainS * 1000;
    while (tracker.outstanding() > 0 && performance.now() < drainUntil) await sleep(20);
    const measured = await window.close(serverLabel(o), o.cpuProf, scenario);
    sync.stop();

    const counts = tracker.counts();
    const stats = sync.stats;
    const warnings = [...measured.warnings];
    if (counts.lost > 0) warnings.push(`${counts.lost} deliveries lost (not seen ${o.drainS} s after the last change)`);
    if (counts.unexpected > 0) warnings.push(`${counts.unexpected} presence events reached users who share no room with the sender`);
    if (putErrors > 0) warnings.push(`${putErrors} presence PUTs failed`);
    if (maxLagMs > 100) warnings.push(`the open loop fell behind its schedule by up to ${maxLagMs.toFixed(0)} ms`);
    return {
      ...header(scenario, o),
      ...measured,
      warnings,
      deliveries: { ...counts, per_s: round(counts.seen / measured.window_s) },
      latency_ms: tracker.latencies.summary(),
      put: { sent: total, ok: putOk, errors: putErrors, latency_ms: putLatency.summary(), achieved_rate: round(total / ((sendEnd - start) / 1000)) },
      syncs: { responses: stats.responses, woken: stats.woken, events: stats.events, errors: stats.errors, errors_by_status: stats.errorsByStatus },
      cpu_per_woken_sync_ms: stats.woken ? round((measured.server.cpu_s * 1000) / stats.woken, 3) : Number.NaN,
      extra: {
        quiet_wait_s: quietWaitS, rooms: topology.rooms.length, watchers: watchers.length, schedule_lag_max_ms: round(maxLagMs) },
    };
  } finally {
    await bench.close();
  }
}
