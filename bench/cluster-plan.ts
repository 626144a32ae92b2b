/**
 * Pure planning for the cluster scenario: which process each long-poll goes to, how the long-polls
 * are split over the generator's child processes, and the source address of each child's sockets.
 *
 * A client socket needs a local port: bound to one source address, a child can hold at most the
 * ephemeral range (32768–60999 here: 28,232) of connections, and every socket is a descriptor
 * under the per-process limit (20,000 here). So 40,000 long-polls need several children, each
 * with an address of its own in 127.0.0.0/8 (the servers listen on 127.0.0.1, which the whole
 * block reaches on loopback).
 */
import type { WatcherStats } from "./sync-watchers";

/** Descriptors a child keeps for itself beyond its long-polls (stdio, IPC, the event loop, a margin). */
export const FD_RESERVE = 200;

/** The k-th source address of the generator (k from 0): 127.0.0.2, 127.0.0.3, ... 127.0.0.254, then 127.0.1.1, ... */
export function sourceAddress(k: number): string {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`source address index ${k}`);
  const n = k + 1; // 127.0.0.1 is the servers'
  const third = Math.floor(n / 254);
  const fourth = (n % 254) + 1;
  if (third > 255) throw new RangeError(`no source address ${k} in 127.0.0.0/8 this way`);
  return `127.0.${third}.${fourth}`;
}

/** Round robin: the long-poll of the watcher at `position` goes to this process. */
export const processOf = (position: number, processes: number): number => position % processes;

export interface PollerShare {
  /** Source address of every socket of this child. */
  address: string;
  /** Positions in the watcher list (so processOf applies), in order. */
  positions: number[];
}

export interface Limits {
  fdLimit: number;
  /** Size of the ephemeral port range. */
  ports: number;
}

/**
 * Splits `watchers` long-polls over as few children as hold at most `perPoller` each, round
 * robin (each child then has a share of every process), one source address per child. Throws
 * when a share would not fit a child's descriptors or its address's ports.
 */
export function planPollers(watchers: number, perPoller: number, limits: Limits): PollerShare[] {
  const count = Math.max(1, Math.ceil(watchers / perPoller));
  const shares: PollerShare[] = Array.from({ length: count }, (_, k) => ({ address: sourceAddress(k), positions: [] }));
  for (let i = 0; i < watchers; i++) shares[i % count]!.positions.push(i);
  const biggest = shares[0]!.positions.length;
  if (biggest + FD_RESERVE > limits.fdLimit) throw new RangeError(`${biggest} long-polls per child exceed its ${limits.fdLimit} descriptors (with ${FD_RESERVE} kept)`);
  if (biggest > limits.ports) throw new RangeError(`${biggest} long-polls from one address exceed its ${limits.ports} ephemeral ports`);
  return shares;
}

/** The size of the range in /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"). */
export function parsePortRange(text: string): number {
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || (hi as number) < (lo as number)) throw new Error(`bad port range: ${text}`);
  return (hi as number) - (lo as number) + 1;
}

/** Adds up the watchers' stats of several processes (or children). */
export function sumStats(all: readonly WatcherStats[]): WatcherStats {
  const out: WatcherStats = { responses: 0, woken: 0, events: 0, errors: 0, errorsByStatus: {} };
  for (const s of all) {
    out.responses += s.responses;
    out.woken += s.woken;
    out.events += s.events;
    out.errors += s.errors;
    for (const [k, v] of Object.entries(s.errorsByStatus)) out.errorsByStatus[k] = (out.errorsByStatus[k] ?? 0) + v;
  }
  return out;
}

/** The bench user index of an id `@bench<i>:<server>`, or undefined. */
export function benchIndexOf(userId: string): number | undefined {
  const m = /^@bench(\d+):/.exec(userId);
  return m ? Number(m[1]) : undefined;
}
