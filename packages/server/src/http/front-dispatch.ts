import { MatrixError } from "@axon/protocol";
import type { FastifyInstance } from "fastify";
import type { OutgoingHttpHeaders } from "node:http";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { Hangup } from "../sync/hangup";
import type { AppDeps } from "./deps";
import type { FromFront, FrontSettings, ToFront } from "./front-messages";
import { lastValue } from "./request";
import { handleSync } from "./sync-request";

/** What the framework sends with a JSON answer (CORS allows any origin): the fast path sends the same. */
const JSON_HEADERS: OutgoingHttpHeaders = { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" };
/** Headers about the framework's own (simulated) connection, not the client's: the front thread sets its own. */
const CONNECTION_HEADERS = ["connection", "keep-alive", "transfer-encoding", "date"];

/**
 * The main thread's side of the front thread (http/front-thread.ts): starts it, answers the
 * requests it passes over, and stops it. `/sync` goes straight to the sync handler; anything else
 * through the framework (`inject`), so every route, hook and error mapping applies unchanged.
 */
export class FrontDispatch {
  private readonly hangups = new Map<number, Hangup>();
  private readonly worker: Worker;
  private started: { resolve(port: number): void; reject(err: Error): void } | null = null;
  /** The port the front thread listens on (once started). */
  port = 0;

  private constructor(
    settings: FrontSettings,
    private readonly app: FastifyInstance,
    private readonly deps: AppDeps,
    private readonly log: Logger,
  ) {
    this.worker = new Worker(new URL("./front-thread-entry.mjs", import.meta.url), { workerData: settings });
    this.worker.on("message", (m: FromFront) => this.onMessage(m));
  }

  /** Starts the front thread and resolves once it listens; rejects if it cannot (say, the port is taken). */
  static async start(settings: FrontSettings, app: FastifyInstance, deps: AppDeps, log: Logger): Promise<FrontDispatch> {
    await app.ready();
    const front = new FrontDispatch(settings, app, deps, log);
    const { worker } = front;
    const failed = (err: Error): void => front.started?.reject(err);
    const exited = (code: number): void => failed(new Error(`the front thread exited (code ${code}) before listening`));
    try {
      front.port = await new Promise<number>((resolve, reject) => {
        front.started = { resolve, reject };
        worker.on("error", failed);
        worker.on("exit", exited);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    } finally {
      front.started = null;
      worker.off("error", failed);
      worker.off("exit", exited);
    }
    // A crashed front thread leaves the server deaf: stop, so a supervisor restarts it whole.
    worker.on("error", (err) => {
      log.fatal({ err }, "front thread failed");
      process.exit(1);
    });
    return front;
  }

  /** Stops the front thread: it stops accepting and drops its connections. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.removeAllListeners("error");
    this.post({ t: "close" });
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
    for (const h of this.hangups.values()) h.fire();
  }

  private onMessage(m: FromFront): void {
    switch (m.t) {
      case "sync":
        this.sync(m.id, m.token, m.query);
        break;
      case "http":
        this.http(m);
        break;
      case "hangup":
        this.hangups.get(m.id)?.fire();
        break;
      case "listening":
        this.started?.resolve(m.port);
        break;
      case "failed":
        if (this.started) this.started.reject(Object.assign(new Error(`cannot listen: ${m.message}`), { code: m.code }));
        else this.log.error({ message: m.message, code: m.code }, "front thread listener error");
        break;
    }
  }

  private sync(id: number, token: string | null, query: Record<string, unknown>): void {
    const hangup = new Hangup();
    this.hangups.set(id, hangup);
    handleSync(this.deps, { token, query: (name) => lastValue(query[name]), hangup }).then(
      (body) => {
        this.hangups.delete(id);
        this.reply(id, 200, JSON_HEADERS, JSON.stringify(body));
      },
      (err: unknown) => {
        this.hangups.delete(id);
        this.replyError(id, err);
      },
    );
  }

  private http(m: Extract<FromFront, { t: "http" }>): void {
    const payload = m.body ? Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength) : undefined;
    // Methods outside HTTP's own set are refused by the simulated request itself: answer as the framework does for an unknown route.
    this.app.inject({ method: m.method as "GET", url: m.url, headers: m.headers, payload, remoteAddress: m.remoteAddress }).then(
      (res) => {
        const headers: OutgoingHttpHeaders = { ...res.headers };
        for (const h of CONNECTION_HEADERS) delete headers[h];
        this.reply(m.id, res.statusCode, headers, res.rawPayload);
      },
      (err: unknown) => this.replyError(m.id, err),
    );
  }

  private replyError(id: number, err: unknown): void {
    if (err instanceof MatrixError) {
      this.reply(id, err.status, { ...JSON_HEADERS, ...err.headers }, JSON.stringify(err.toJSON()));
      return;
    }
    this.log.error({ err }, "unhandled error");
    this.reply(id, 500, JSON_HEADERS, JSON.stringify({ errcode: "M_UNKNOWN", error: "Internal server error." }));
  }

  private reply(id: number, status: number, headers: OutgoingHttpHeaders, body: string | Uint8Array): void {
    this.post({ t: "reply", id, status, headers, body });
  }

  private post(m: ToFront): void {
    this.worker.postMessage(m);
  }
}
