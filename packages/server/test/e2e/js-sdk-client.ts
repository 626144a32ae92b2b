// matrix-js-sdk 37.5.0 helpers for the end-to-end tests: a quiet client, logged in for real.
import { ClientEvent, SyncState, createClient, type IStartClientOpts, type MatrixClient } from "matrix-js-sdk";
import { logger as sdkLogger, type Logger } from "matrix-js-sdk/lib/logger";
import { after, before } from "node:test";
import { startLiveServer, type LiveServer } from "./harness";
import type { SpecAudit } from "./spec-audit";

const noop = (): void => {};

// The SDK's module-level logger (loglevel) ignores the per-client one and logs every sync step;
// its children copy its methodFactory, so a silent factory quiets them too.
if (!process.env.AXON_E2E_LOG) {
  const root = sdkLogger as unknown as { methodFactory: () => () => void; rebuild(): void };
  root.methodFactory = () => noop;
  root.rebuild();
}

// The SDK's timeoutSignal() ponyfill never clears its timer (30 s + 80 s for a /sync long-poll),
// which would hold the test process open for minutes after stopClient(). Such timers must not.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = realSetTimeout(fn, ms, ...args);
  if ((ms ?? 0) >= 10_000 && new Error().stack?.includes("matrix-js-sdk")) timer.unref();
  return timer;
}) as unknown as typeof setTimeout;

/** The SDK logs every request at debug level; keep test output readable unless asked. */
export const quietLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: process.env.AXON_E2E_LOG ? console.warn : noop,
  error: process.env.AXON_E2E_LOG ? console.error : noop,
  getChild: () => quietLogger,
};

/**
 * Logs in through loginWithPassword (it sends the legacy top-level `user`), then, as the SDK advises,
 * builds a client from the full credentials (the login call alone does not keep the device id).
 */
export async function loginClient(baseUrl: string, user: string, password: string, audit?: SpecAudit): Promise<MatrixClient> {
  const fetchFn = audit?.fetch;
  const login = await createClient({ baseUrl, logger: quietLogger, fetchFn }).loginWithPassword(user, password);
  return createClient({
    baseUrl,
    userId: login.user_id,
    accessToken: login.access_token,
    deviceId: login.device_id,
    logger: quietLogger,
    fetchFn,
  });
}

/** Asserts that every answer the audited clients received matched the spec (when the spec is there). */
export async function assertAuditClean(audit: SpecAudit): Promise<void> {
  await audit.settle();
  if (audit.unavailable) {
    console.log(`# ${audit.unavailable}`);
    return;
  }
  if (audit.problems.length) throw new Error(`answers that do not match the Matrix spec:\n  ${audit.problems.join("\n  ")}`);
  if (audit.checked === 0) throw new Error("the spec audit saw no answer to check");
}

/** Resolves with the listener's arguments the first time `predicate` accepts them. */
export function waitForEmit<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  predicate: (...args: A) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = on((...args) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/** startClient() and wait until the sync loop says SYNCING. */
export function startSyncing(client: MatrixClient): Promise<void> {
  return startSyncingWith(client, {});
}

/** The same with more start options (say, thread support). */
export async function startSyncingWith(client: MatrixClient, opts: IStartClientOpts): Promise<void> {
  const syncing = waitForEmit<[SyncState, SyncState | null]>(
    (l) => {
      client.on(ClientEvent.Sync, l);
      return () => client.off(ClientEvent.Sync, l);
    },
    (state) => state === SyncState.Syncing || state === SyncState.Error,
    `${client.getUserId()} to reach SYNCING`,
  );
  await client.startClient({ initialSyncLimit: 10, ...opts });
  const [state] = await syncing;
  if (state !== SyncState.Syncing) throw new Error(`${client.getUserId()} sync loop went to ${state}`);
}

/** A live server for a suite and the clients its tests start: `before` starts it, `after` stops the clients and closes it. */
export function liveSuite(overrides: Record<string, unknown> = {}): { readonly live: LiveServer; clients: MatrixClient[] } {
  let server: LiveServer | undefined;
  const suite = {
    get live(): LiveServer {
      if (!server) throw new Error("the suite's server is not started yet");
      return server;
    },
    clients: [] as MatrixClient[],
  };
  before(async () => {
    server = await startLiveServer(overrides);
  });
  after(async () => {
    for (const c of suite.clients) c.stopClient();
    await server?.close();
  });
  return suite;
}
