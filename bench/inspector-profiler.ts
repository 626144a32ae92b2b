import { WebSocket } from "undici";

/**
 * CPU profile of the server over the measured window only (node --cpu-prof would also record
 * seeding and initial syncs, which swamp the figures): the server runs with --inspect on a
 * loopback port and we drive the Profiler over the DevTools protocol.
 */
export class InspectorProfiler {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.waiting.get(msg.id)?.(msg.result);
    });
  }

  static async connect(inspectPort: number): Promise<InspectorProfiler> {
    const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const url = list[0]?.webSocketDebuggerUrl;
    if (!url) throw new Error("no inspector target");
    const ws = new WebSocket(url);
    await new Promise<void>((res, rej) => {
      ws.addEventListener("open", () => res(), { once: true });
      ws.addEventListener("error", () => rej(new Error("inspector connection failed")), { once: true });
    });
    const p = new InspectorProfiler(ws);
    await p.send("Profiler.enable");
    await p.send("Profiler.setSamplingInterval", { interval: 500 });
    return p;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        this.waiting.delete(id);
        resolve(r);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  start(): Promise<unknown> {
    return this.send("Profiler.start");
  }

  /** Stops and returns the .cpuprofile JSON. */
  async stop(): Promise<unknown> {
    const r = (await this.send("Profiler.stop")) as { profile: unknown };
    return r.profile;
  }

  close(): void {
    this.ws.close();
  }
}
