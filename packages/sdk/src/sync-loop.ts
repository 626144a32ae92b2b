import type { AxonClient } from "./client";
import { sleep, type Clock } from "./clock";
import { Emitter } from "./emitter";
import { isMatrixError, MatrixError } from "./errors";
import type { SyncResponse } from "./types";

/**
 * - `catchup`: the first sync after a start or a reconnect (no long-poll: it answers at once);
 * - `syncing`: up to date, long-polling;
 * - `reconnecting`: the last request failed; the next try is at `retryAt`;
 * - `error`: the server refused the session (e.g. the token was revoked); the loop has stopped;
 * - `stopped`: not started, or stopped.
 */
export type ConnectionState = "stopped" | "catchup" | "syncing" | "reconnecting" | "error";

export interface SyncStatus {
  state: ConnectionState;
  /** When the next try is made (clock time), while reconnecting. */
  retryAt: number | null;
  /** What went wrong, while reconnecting or in error. */
  error: Error | null;
}

export interface SyncLoopOptions {
  /** Long-poll length (ms). Default 30 s. */
  timeoutMs?: number;
  /** A filter, uploaded once per loop and then named by id. */
  filter?: Record<string, unknown>;
  /** The device's implicit presence (`set_presence`). */
  setPresence?: "online" | "unavailable" | "offline";
  /** Resume from this token (e.g. one kept from an earlier run). */
  since?: string;
  clock?: Clock;
  /** For jitter; [0, 1). */
  random?: () => number;
  /** First backoff step (ms), doubled after each failure up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type SyncEvents = {
  sync: [response: SyncResponse, info: { initial: boolean }];
  state: [status: SyncStatus];
};

/** Errors after which retrying cannot help: the session itself is gone. */
const FATAL = new Set(["M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_USER_DEACTIVATED"]);

/**
 * Long-polls `/sync` until stopped: resumes from its token, backs off with jitter on failures (a 429's
 * `retry_after_ms`/`Retry-After` is honoured), and reports its connection state for a UI.
 */
export class SyncLoop extends Emitter<SyncEvents> {
  private current: SyncStatus = { state: "stopped", retryAt: null, error: null };
  private controller: AbortController | null = null;
  private filterId: string | undefined;
  private since: string | undefined;
  private finished: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(
    readonly client: AxonClient,
    private readonly options: SyncLoopOptions = {},
  ) {
    super();
    this.clock = options.clock ?? client.clock;
    this.since = options.since;
  }

  get status(): SyncStatus {
    return this.current;
  }

  /** The token the next sync will resume from. */
  get nextBatch(): string | undefined {
    return this.since;
  }

  /** Starts syncing (no-op when running). Stops when `signal` aborts or `stop()` is called. */
  start(signal?: AbortSignal): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
    if (signal?.aborted) controller.abort(signal.reason);
    this.finished = this.run(controller.signal).finally(() => {
      if (this.controller === controller) this.controller = null;
    });
  }

  /** Stops the loop and aborts the request in flight; resolves when it has stopped. */
  stop(): Promise<void> {
    this.controller?.abort(new Error("sync loop stopped"));
    return this.finished;
  }

  /** Resolves when the loop ends (stopped or fatal error). */
  get done(): Promise<void> {
    return this.finished;
  }

  private setStatus(state: ConnectionState, retryAt: number | null = null, error: Error | null = null): void {
    const prev = this.current;
    if (prev.state === state && prev.retryAt === retryAt && prev.error === error) return;
    this.current = { state, retryAt, error };
    this.emit("state", this.current);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const timeout = this.options.timeoutMs ?? 30_000;
    let failures = 0;
    let initial = this.since === undefined;
    this.setStatus("catchup");
    while (!signal.aborted) {
      try {
        if (this.options.filter && this.filterId === undefined) this.filterId = await this.client.uploadFilter(this.options.filter);
        const catchingUp = this.current.state !== "syncing";
        const res = await this.client.sync({
          since: this.since,
          timeout: catchingUp ? 0 : timeout,
          filter: this.filterId,
          setPresence: this.options.setPresence,
          signal,
        });
        if (signal.aborted) break;
        this.since = res.next_batch;
        failures = 0;
        this.emit("sync", res, { initial });
        initial = false;
        this.setStatus("syncing");
      } catch (err) {
        if (signal.aborted) break;
        const error = err instanceof Error ? err : new Error(String(err));
        if (isMatrixError(err) && FATAL.has(err.errcode)) {
          this.setStatus("error", null, error);
          return;
        }
        failures++;
        const wait = this.delayFor(err, failures);
        this.setStatus("reconnecting", this.clock.now() + wait, error);
        try {
          await sleep(this.clock, wait, signal);
        } catch {
          break;
        }
        this.setStatus("catchup");
        // The server may have changed (restarted with other settings): ask for its features again.
        this.client.supportsBusy({ refresh: true }).catch(() => {});
      }
    }
    this.setStatus("stopped");
  }

  private delayFor(err: unknown, failures: number): number {
    if (err instanceof MatrixError && err.retryAfterMs !== null && err.status === 429) return err.retryAfterMs;
    const min = this.options.minBackoffMs ?? 1_000;
    const max = this.options.maxBackoffMs ?? 30_000;
    const cap = Math.min(max, min * 2 ** (failures - 1));
    // Half fixed, half random: never zero, and clients that failed together do not retry together.
    return Math.round(cap / 2 + (this.options.random ?? Math.random)() * (cap / 2));
  }
}
