import { readFileSync } from "node:fs";

/** The parts of a V8 .cpuprofile (node --cpu-prof) we read. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  pct: number;
}

const short = (url: string) => url.replace(/^file:\/\/.*?\/(packages|node_modules)\//, "$1/").replace(/^node:/, "node:");

/** Self time by function and by file, idle excluded, largest first. */
export function summarizeProfile(p: CpuProfile, top = 25): { byFunction: ProfileLine[]; byFile: ProfileLine[]; busyMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    if (!n || n.callFrame.functionName === "(idle)") return;
    busy += dt;
    const f = n.callFrame;
    const where = f.url ? `${short(f.url)}:${f.lineNumber + 1}` : "(native)";
    fn.set(`${f.functionName || "(anonymous)"} ${where}`, (fn.get(`${f.functionName || "(anonymous)"} ${where}`) ?? 0) + dt);
    const fileKey = f.url ? short(f.url) : f.functionName;
    file.set(fileKey, (file.get(fileKey) ?? 0) + dt);
  });
  const lines = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((1000 * ms) / busy) / 10 }));
  return { byFunction: lines(fn), byFile: lines(file), busyMs: Math.round(busy) };
}

export function printProfile(path: string): void {
  const s = summarizeProfile(JSON.parse(readFileSync(path, "utf8")) as CpuProfile);
  console.log(`${path}: ${s.busyMs} ms busy\n\nself time by file:`);
  for (const l of s.byFile) console.log(`${String(l.pct).padStart(5)} %  ${l.name}`);
  console.log("\nself time by function:");
  for (const l of s.byFunction) console.log(`${String(l.pct).padStart(5)} %  ${l.name}`);
}
