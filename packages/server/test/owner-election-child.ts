// A process that runs one OwnerElection and prints "owner" when elected (owner-election.test.ts kills it with SIGKILL).
// Usage: node --import tsx owner-election-child.ts <connectionString> <lockKey> <processId> <retryMs>
import pino from "pino";
import { OwnerElection } from "../src/cluster/owner-election";

const [connectionString, lockKey, processId, retryMs] = process.argv.slice(2);
if (!connectionString || !lockKey || !processId) throw new Error("usage: owner-election-child.ts <connectionString> <lockKey> <processId> [retryMs]");

const election = new OwnerElection({
  connectionString,
  lockKey,
  processId,
  url: `http://${processId}.internal:8008`,
  retryMs: retryMs ? Number(retryMs) : undefined,
  log: pino({ level: "warn" }, pino.destination(2)),
});
election.onChange((isOwner) => console.log(isOwner ? "owner" : "not owner"));
await election.start();
console.log("started");

// Never outlive the test that started it: exit when its stdin closes, and after a minute regardless.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 60_000).unref();
