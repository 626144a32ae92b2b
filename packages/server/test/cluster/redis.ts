import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "./cluster-harness";

/** Why Redis at 127.0.0.1:6379 cannot be used (null when it answers PING). */
export function redisUnavailable(port = 6379): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    const done = (why: string | null) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(2000, () => done(`Redis at 127.0.0.1:${port} did not answer`));
    s.on("error", (err) => done(`Redis at 127.0.0.1:${port}: ${err.message}`));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => done(d.toString().startsWith("+PONG") ? null : `Redis answered ${d.toString().trim()}`));
  });
}

/** A Redis server of the test's own (never the machine's), on a free port, that the test may kill and start again. */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const end = Date.now() + 10_000;
    while ((await redisUnavailable(this.port)) !== null) {
      if (Date.now() > end) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9, by the pid this object started. */
  async down(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  }
}
