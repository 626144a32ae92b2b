import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** CPU and memory of another process, read from /proc (Linux only). */
export interface ProcSample {
  /** user + system CPU seconds since the process started. */
  cpuS: number;
  rssMiB: number;
  /** Peak RSS so far (VmHWM). */
  peakRssMiB: number;
  at: number;
}

let ticks: number | null = null;
function clockTicks(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime in clock ticks, from the text of /proc/<pid>/stat (the name may hold spaces and parens). */
export function parseStatTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(rest[11]) + Number(rest[12]);
}

/** A `Key:   1234 kB` line of /proc/<pid>/status, in MiB; NaN when absent. */
export function parseStatusKiB(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return {
    cpuS: parseStatTicks(stat) / clockTicks(),
    rssMiB: parseStatusKiB(status, "VmRSS"),
    peakRssMiB: parseStatusKiB(status, "VmHWM"),
    at: performance.now(),
  };
}

/** CPU used by this process (the load generator) in seconds, since `since`. */
export function ownCpuS(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/** Non-idle CPU seconds of the whole machine (all cores), from the text of /proc/stat. */
export function parseSystemBusyTicks(stat: string): number {
  const line = stat.split("\n", 1)[0] ?? "";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - (f[3] ?? 0) - (f[4] ?? 0);
}

export function systemBusyS(): number {
  return parseSystemBusyTicks(readFileSync("/proc/stat", "utf8")) / clockTicks();
}

/** TcpExt ListenOverflows from the text of /proc/net/netstat: connections dropped because an accept queue was full. */
export function parseListenOverflows(netstat: string): number {
  const lines = netstat.split("\n").filter((l) => l.startsWith("TcpExt:"));
  const keys = (lines[0] ?? "").split(/\s+/);
  const values = (lines[1] ?? "").split(/\s+/);
  const i = keys.indexOf("ListenOverflows");
  return i < 0 ? Number.NaN : Number(values[i]);
}

export function listenOverflows(): number {
  try {
    return parseListenOverflows(readFileSync("/proc/net/netstat", "utf8"));
  } catch {
    return Number.NaN;
  }
}
