// A child process of the `cluster polls` generator (started by poll-pool.ts with IPC): holds its
// share of the long-polls, its sockets bound to its own source address in 127.0.0.0/8, and sends
// the presence events it reads to the parent, stamped with the wall clock (performance.timeOrigin
// + performance.now(), comparable across processes), in batches.
import { benchIndexOf } from "./cluster-plan";
import { UndiciClient } from "./http-client";
import { sleep } from "./pool";
import type { BenchUser } from "./seed";
import { SyncWatchers } from "./sync-watchers";

export interface PollStart {
  type: "start";
  servers: string[];
  address: string;
  timeoutMs: number;
  concurrency: number;
  /** [user index, user id, token, process index] */
  users: [number, string, string, number][];
}

export type ToChild = PollStart | { type: "reset" } | { type: "stats" } | { type: "stop" };

export type FromChild =
  | { type: "progress"; synced: number; failed: number }
  | { type: "ready"; synced: number; failed: number; ms: number }
  /** Flattened [watcher, sender, state, wall-clock ms] quadruples. */
  | { type: "events"; batch: (number | string)[] }
  | { type: "stats"; stats: SyncWatchers["stats"] };

const send = (m: FromChild) => process.send?.(m);

async function start(m: PollStart): Promise<void> {
  const clients = m.servers.map((url) => new UndiciClient(url, m.address));
  const processOf = new Map(m.users.map(([index, , , p]) => [index, p]));
  let batch: (number | string)[] = [];
  const sync = new SyncWatchers((u) => clients[processOf.get(u.index) ?? 0]!, {
    timeoutMs: m.timeoutMs,
    setPresence: "offline",
    onPresence: (w, ev) => {
      const sender = benchIndexOf(ev.sender);
      if (sender !== undefined) batch.push(w, sender, ev.state, performance.timeOrigin + performance.now());
    },
  });
  setInterval(() => {
    if (batch.length === 0) return;
    send({ type: "events", batch });
    batch = [];
  }, 20).unref();
  process.on("message", (msg: ToChild) => {
    if (msg.type === "reset") sync.resetStats();
    else if (msg.type === "stats") send({ type: "stats", stats: sync.stats });
    else if (msg.type === "stop") {
      sync.stop();
      for (const c of clients) c.close();
      process.exit(0);
    }
  });
  const users: BenchUser[] = m.users.map(([index, userId, token]) => ({ index, userId, token, deviceId: "" }));
  const t0 = performance.now();
  let synced = 0;
  let failed = 0;
  const progress = setInterval(() => send({ type: "progress", synced, failed }), 2000);
  let next = 0;
  // Initial syncs with a few retries each; a user's long-poll starts as soon as theirs is answered
  // (as a client does), so the connection stays busy and the renewals spread out. A user whose
  // sync keeps failing is left out and counted.
  const worker = async () => {
    while (next < users.length) {
      const u = users[next++]!;
      for (let attempt = 1; ; attempt++) {
        try {
          await sync.initialOne(u);
          sync.start([u]);
          synced++;
          break;
        } catch {
          if (attempt >= 3) {
            failed++;
            break;
          }
          await sleep(1000 * attempt);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, worker));
  clearInterval(progress);
  send({ type: "ready", synced, failed, ms: performance.now() - t0 });
}

process.once("message", (m: ToChild) => {
  if (m.type !== "start") return;
  start(m).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
