import { MatrixError } from "@axon/protocol";
import type { FastifyInstance } from "fastify";
import type { OutgoingHttpHeaders } from "node:http";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { Hangup } from "../sync/hangup";
import { INTERNAL_ERROR } from "./app";
import type { AppDeps } from "./deps";
import { JSON_HEADERS, type FromFront, type FrontSettings, type ToFront } from "./front-messages";
import { lastValue } from "./request";
import { handleSync } from "./sync-request";

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
  /** Settles when the thread has ended, whatever ended it. */
  private readonly gone: Promise<void>;
  private started: { resolve(port: number): void; reject(err: Error): void } | null = null;
  private closing = false;
  private readonly logRequests: boolean;
  /** The port the front thread listens on (once started). */
  port = 0;
  /** Requests other than /sync handed over and not answered yet (the metrics' front-thread queue). */
  pending = 0;

  private constructor(
    settings: FrontSettings,
    private readonly app: FastifyInstance,
    private readonly deps: AppDeps,
    private readonly log: Logger,
    /** Told of each /sync answered here (the others go through the framework and its hooks); only with metrics on. */
    private readonly observeSync: ((status: number, seconds: number) => void) | null,
  ) {
    this.logRequests = log.isLevelEnabled("debug");
    this.worker = new Worker(new URL("./front-thread-entry.mjs", import.meta.url), { workerData: settings });
    this.worker.on("message", (m: FromFront) => this.onMessage(m));
    this.worker.on("error", (err) => this.onError(err));
    this.gone = new Promise((resolve) =>
      this.worker.once("exit", (code) => {
        this.started?.reject(new Error(`the front thread exited (code ${code}) before listening`));
        resolve();
      }),
    );
  }

  /** Starts the front thread and resolves once it listens; rejects if it cannot (say, the port is taken). */
  static async start(settings: FrontSettings, app: FastifyInstance, deps: AppDeps, log: Logger, observeSync: ((status: number, seconds: number) => void) | null = null): Promise<FrontDispatch> {
    await app.ready();
    const front = new FrontDispatch(settings, app, deps, log, observeSync);
    try {
      front.port = await new Promise<number>((resolve, reject) => (front.started = { resolve, reject }));
    } catch (err) {
      front.closing = true;
      await front.worker.terminate();
      throw err;
    } finally {
      front.started = null;
    }
    return front;
  }

  /** Stops the front thread: it stops accepting and drops its connections. */
  async close(): Promise<void> {
    this.closing = true;
    this.post({ t: "close" });
    // It ends by itself once its sockets are closed; a stuck one is stopped.
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.gone;
    clearTimeout(timer);
    for (const h of this.hangups.values()) h.fire();
  }

  private onError(err: Error): void {
    if (this.started) this.started.reject(err);
    else if (this.closing) this.log.warn({ err }, "front thread failed while closing");
    else {
      // A crashed front thread leaves the server deaf: stop, so a supervisor restarts it whole.
      this.log.fatal({ err }, "front thread failed");
      process.exit(1);
    }
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
    const timed = this.logRequests || this.observeSync !== null;
    const started = timed ? performance.now() : 0;
    const hangup = new Hangup();
    this.hangups.set(id, hangup);
    handleSync(this.deps, { token, query: (name) => lastValue(query[name]), hangup }).then(
      (body) => {
        this.hangups.delete(id);
        this.reply(id, 200, JSON_HEADERS, JSON.stringify(body));
        if (timed) this.syncDone(200, started);
      },
      (err: unknown) => {
        this.hangups.delete(id);
        const status = this.replyError(id, err);
        if (timed) this.syncDone(status, started);
      },
    );
  }

  private http(m: Extract<FromFront, { t: "http" }>): void {
    const payload = m.body ? Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength) : undefined;
    this.pending++;
    this.app.inject({ method: m.method as "GET", url: m.url, headers: m.headers, payload, remoteAddress: m.remoteAddress }).then(
      (res) => {
        const headers: OutgoingHttpHeaders = { ...res.headers };
        for (const h of CONNECTION_HEADERS) delete headers[h];
        this.pending--;
        this.reply(m.id, res.statusCode, headers, res.rawPayload);
      },
      (err: unknown) => {
        this.pending--;
        this.replyError(m.id, err, m.url);
      },
    );
  }

  /** Answers with the error as the framework's error handler would; returns the status. */
  private replyError(id: number, err: unknown, url = "/sync"): number {
    if (err instanceof MatrixError) {
      this.reply(id, err.status, { ...JSON_HEADERS, ...err.headers }, JSON.stringify(err.toJSON()));
      return err.status;
    }
    this.log.error({ err, url: url.split("?")[0] }, "unhandled error");
    this.reply(id, 500, JSON_HEADERS, JSON.stringify(INTERNAL_ERROR));
    return 500;
  }

  /** The framework's debug line and metrics per request (app.ts), for the /sync requests that skip it. */
  private syncDone(status: number, started: number): void {
    const ms = performance.now() - started;
    if (this.logRequests) this.log.debug({ method: "GET", url: "/sync", status, ms: Math.round(ms) }, "request");
    this.observeSync?.(status, ms / 1000);
  }

  private reply(id: number, status: number, headers: OutgoingHttpHeaders, body: string | Uint8Array): void {
    this.post({ t: "reply", id, status, headers, body });
  }

  private post(m: ToFront): void {
    this.worker.postMessage(m);
  }
}
