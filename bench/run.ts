// npm run bench -- <scenario> [options]: starts a server process, loads it over HTTP, prints a table, writes JSON.
import { Command } from "commander";
import { cleanUpAll } from "./cleanup";
import { parseBigroom, parseCluster, parseFanout, parseIdle, parseRestart, parseStorm, OptionError, type RawOptions } from "./options";
import { printProfile } from "./profile-summary";
import { writeReport } from "./report";
import { formatTable, writeResult, type BenchResult } from "./result";
import { runClusterFailover, runClusterFanout } from "./scenario-cluster";
import { runClusterPolls } from "./scenario-cluster-polls";
import { runFanout } from "./scenario-fanout";
import { runIdle } from "./scenario-idle";
import { runPushRules } from "./scenario-pushrules";
import { runRestart } from "./scenario-restart";
import { runStorm } from "./scenario-storm";

const withCommon = (c: Command) =>
  c
    .option("--db <kind>", "sqlite (temp file) or postgres (fresh database on 127.0.0.1:5432)", "sqlite")
    .option("--server <kind>", "axon, or floor: a logic-free server that shows what the generator can drive", "axon")
    .option("--client <kind>", "generator HTTP client: undici or node (node:http)", "undici")
    .option("--sync-timeout <ms>", "long-poll timeout of each /sync")
    .option("--quiet-wait <s>", "wait up to this long for other processes to go quiet before measuring (default 60)")
    .option("--seed <n>", "seed of the room layout and change order")
    .option("--cpu-prof [dir]", "profile the server over the measured window via its inspector; writes a .cpuprofile (default dir bench/profiles)")
    .option("--out <dir>", "where the result JSON goes", "bench/results");

const withGraph = (c: Command, users: string) =>
  withCommon(c)
    .option("--users <n>", `number of users (default ${users})`)
    .option("--room-size <k>", "members per room (default 20)")
    .option("--rooms-per-user <r>", "rooms each user is in (default 3)");

async function finish(result: BenchResult, out: string): Promise<void> {
  console.log(formatTable(result));
  console.log(`\nwrote ${writeResult(result, out)}`);
}

export function program(): Command {
  const p = new Command("bench").description("Axon presence benchmarks (all traffic to 127.0.0.1)");
  withGraph(p.command("fanout").description("W watchers long-poll while U presence changes/s fan out"), "1000")
    .option("--watchers <w>", "users keeping a /sync open (default: all)")
    .option("--rate <u>", "presence changes per second, open loop (default 50)")
    .option("--duration <s>", "seconds of changes (default 30)")
    .option("--drain <s>", "seconds to wait for late deliveries (default 5)")
    .action(async (raw: RawOptions) => {
      const o = parseFanout(raw);
      await finish(await runFanout(o, "fanout"), o.out);
    });
  withCommon(p.command("bigroom").description("fanout in one room of M members"))
    .option("--members <m>", "members of the room (default 2000)")
    .option("--watchers <w>", "members keeping a /sync open (default: all)")
    .option("--rate <u>", "presence changes per second (default 10)")
    .option("--duration <s>", "seconds of changes (default 30)")
    .option("--drain <s>", "seconds to wait for late deliveries (default 5)")
    .action(async (raw: RawOptions) => {
      const o = parseBigroom(raw);
      await finish(await runFanout(o, "bigroom"), o.out);
    });
  withGraph(p.command("cluster").description("several Axon processes on PostgreSQL + Redis: fanout (vs one process), polls (40,000 long-polls), failover (kill -9 of the owner)"), "1000; polls 40000")
    .argument("<measurement>", "fanout, polls or failover")
    .option("--processes <n>", "Axon processes (default 3)")
    .option("--redis-url <url>", "the cluster's Redis, on 127.0.0.0/8 (default redis://127.0.0.1:6379)")
    .option("--watchers <w>", "users keeping a /sync open (default: all)")
    .option("--rate <u>", "presence changes per second, open loop (default 50; polls 20)")
    .option("--duration <s>", "seconds of changes (default 30)")
    .option("--drain <s>", "seconds to wait for late deliveries (default 5; failover 15)")
    .option("--no-compare", "fanout: skip the same scenario on one process")
    .option("--kill-at <s>", "failover: when the owner is killed, seconds into the changes (default half the duration)")
    .option("--idle <s>", "polls: seconds of the idle window (default 10)")
    .option("--per-poller <n>", "polls: most long-polls per generator child process (default 10000)")
    .option("--connect-within <s>", "polls: give up when the long-polls are not all open after this long (default 1200)")
    .option("--index-device-lists", "diagnostic: add an index on device_list_changes(stream_id) to the scratch database (not in Axon's schema)")
    .action(async (measurement: string, raw: RawOptions, cmd: Command) => {
      // --db defaults to sqlite for the other scenarios; a cluster is PostgreSQL unless told otherwise (and refuses that).
      const o = parseCluster(measurement, cmd.getOptionValueSource("db") === "default" ? { ...raw, db: undefined } : raw);
      const run = o.measurement === "fanout" ? runClusterFanout : o.measurement === "polls" ? runClusterPolls : runClusterFailover;
      for (const r of await run(o)) await finish(r, o.out);
    });
  withGraph(p.command("storm").description("N users start syncing within T seconds"), "1000")
    .option("--within <s>", "seconds over which all users start (default 60)")
    .option("--drain <s>", "seconds to wait for late deliveries (default 5)")
    .action(async (raw: RawOptions) => {
      const o = parseStorm(raw);
      await finish(await runStorm(o), o.out);
    });
  withGraph(p.command("idle").description("N users long-poll, nothing changes: CPU and RSS"), "1000")
    .option("--duration <s>", "seconds measured (default 60)")
    .action(async (raw: RawOptions) => {
      const o = parseIdle(raw);
      await finish(await runIdle(o), o.out);
    });
  withGraph(p.command("restart").description("N users with presence stored: start-up time, first sync, RSS"), "1000").action(
    async (raw: RawOptions) => {
      const o = parseRestart(raw);
      await finish(await runRestart(o), o.out);
    },
  );
  p.command("pushrules")
    .description("push rules evaluated for every member of one room, one core, no I/O: room events a second")
    .option("--members <m>", "members of the room", "2000")
    .option("--duration <s>", "seconds to run", "10")
    .option("--out <dir>", "where the result JSON goes", "bench/results")
    .action((raw: { members: string; duration: string; out: string }) => {
      const members = Number(raw.members);
      const durationS = Number(raw.duration);
      if (!Number.isInteger(members) || members < 2 || !(durationS > 0)) throw new OptionError("--members must be an integer of at least 2 and --duration positive");
      const r = runPushRules({ members, durationS, out: raw.out });
      console.log(`members ${members}: ${r.room_events_per_s} room events/s (${r.evaluations_per_s} evaluations/s, ${r.us_per_evaluation} µs each); ${r.notifications} notifications, ${r.highlights} highlights over ${r.room_events} events`);
    });
  p.command("report")
    .description("draw fan-out latency (p50/p99) against load from the result files as an SVG")
    .option("--results <dir>", "result files", "bench/results")
    .option("--svg <file>", "output", "docs/performance-latency.svg")
    .action((raw: { results: string; svg: string }) => {
      const n = writeReport(raw.results, raw.svg);
      console.log(`wrote ${raw.svg} from ${n} results`);
    });
  p.command("profile")
    .description("summarise a server .cpuprofile (from --cpu-prof): self time by file and by function")
    .argument("<file>")
    .action((file: string) => printProfile(file));
  return p;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}: stopping the processes it started and dropping its scratch databases`);
      void cleanUpAll().finally(() => process.exit(130));
    });
  }
  program()
    .parseAsync(process.argv)
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      console.error(err instanceof OptionError ? `bench: ${err.message}` : err);
      process.exit(1);
    });
}
