import type { FastifyInstance } from "fastify";
import type { Server as NetServer } from "node:net";
import type { Logger } from "pino";
import { AccountService } from "./accounts/account-service";
import { systemClock, type Clock } from "./clock";
import type { Config } from "./config";
import { buildApp, KEEP_ALIVE_TIMEOUT_MS, MAX_BODY } from "./http/app";
import { FrontDispatch } from "./http/front-dispatch";
import { closeListenerCopies, listenerCopiesOrNone } from "./http/listener-copies";
import type { AppDeps } from "./http/deps";
import { AccountChangeWatcher } from "./admin/account-changes";
import { AuthLimits } from "./limits/auth-limits";
import { createLogger } from "./log";
import { Metrics } from "./metrics/metrics";
import { listenMetrics } from "./metrics/metrics-server";
import { PresenceService } from "./presence/presence-service";
import { PushRulesService } from "./push/push-rules-service";
import { CallProfileField } from "./profile/call-field";
import { ProfileFieldService } from "./profile/profile-field-service";
import { SqlProfileFieldStore } from "./storage/sql-profile-field-store";
import { MembershipIndex } from "./rooms/membership-index";
import { SqlPresenceStore } from "./storage/sql-presence-store";
import { Notifier } from "./sync/notifier";
import { PresenceStreamProvider } from "./sync/presence-stream";
import { SyncService } from "./sync/sync-service";
import { NotificationService } from "./notifications/notification-service";
import { SqlNotificationStore } from "./storage/sql-notification-store";
import { PusherService } from "./pushers/pusher-service";
import { BUSY_PUSH_TYPE, BusyHold } from "./push/busy-hold";
import { PushDelivery, type DeliveryOptions } from "./pushers/push-delivery";
import { SqlPusherStore } from "./storage/sql-pusher-store";
import { createRoomServices } from "./compose-rooms";
import { createFeatureServices } from "./compose-features";
import { createE2eeServices } from "./compose-e2ee";
import { openDatabase, type OpenDatabase } from "./storage/database";
import { SqlAccountStore } from "./storage/sql-account-store";
import { SqlAdminStore } from "./storage/sql-admin-store";
import { ClusterNode } from "./compose-cluster";

export interface RunningServer {
  app: FastifyInstance;
  deps: AppDeps;
  database: OpenDatabase;
  /** Base URL it listens on, e.g. http://127.0.0.1:8008 (set by listen()). */
  url: string;
  /** Where Prometheus scrapes, e.g. http://127.0.0.1:9092/metrics (set by listen() when metrics.enabled). */
  metricsUrl?: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The kernel's accept queue per listening socket (capped by net.core.somaxconn). Node's default,
 * 511, overflowed when thousands of clients connected while the event loop was busy (bench storm:
 * connections dropped after minutes of SYN retries).
 */
const BACKLOG = 4096;
/** The route label of /sync answered by the front thread, as the framework labels it. */
const SYNC_ROUTE = "/_matrix/client/v3/sync";

export interface ServerOptions {
  clock?: Clock;
  logger?: Logger;
  /** The built web page's folder (default packages/web/dist). */
  webRoot?: string;
  /** Push delivery's timeouts and retry delays (tests shorten them). */
  push?: DeliveryOptions;
  /** Cluster: what to do when this process can no longer act as the owner (default: log and exit, so a supervisor restarts it). */
  onClusterFatal?: (reason: string) => void;
}

/** Composition root: config → database → stores → services → http. Call listen() to bind. */
export async function createServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.log.level);
  // Metrics exist only when enabled: off, no hook is installed anywhere (metrics/).
  const metrics = config.metrics.enabled ? new Metrics() : null;
  const database = await openDatabase(config.database.url, metrics ? { onQuery: (q, ms) => metrics.query(q, ms) } : {});
  const membership = new MembershipIndex();
  const notifier = new Notifier(membership);
  // Several processes (`cluster:`, docs/cluster.md): presence starts as a follower of the elected owner.
  const cluster = config.cluster ? await ClusterNode.open({ config, db: database.db, clock, membership, notifier, log: logger, onFatal: opts.onClusterFatal }) : null;
  const presence =
    cluster?.presence ??
    new PresenceService({
      config: config.presence,
      clock,
      store: new SqlPresenceStore(database.db),
      membership,
      notifier,
      log: logger,
    });
  const accounts = new AccountService(new SqlAccountStore(database.db), clock, config.server_name, (user, device) =>
    presence.deviceRemoved(user, device),
  );
  // Before presence starts: it reads the membership index this fills.
  const roomServices = await createRoomServices({ db: database.db, serverName: config.server_name, clock, accounts, membership, notifier, hooks: presence });
  await presence.start();
  const profileFields = new ProfileFieldService(new SqlProfileFieldStore(database.db), accounts);
  const callField = new CallProfileField(profileFields, clock, logger);
  // The call tracker and its field have one owner: in a cluster they start when this process becomes it.
  const callFieldDuties = () => callField.start(presence, config.presence.call_profile_field);
  if (!cluster) await callFieldDuties();
  const e2ee = await createE2eeServices({ db: database.db, serverName: config.server_name, clock, accounts, membership, notifier, logger });
  // The token layout follows this array: append new providers at the end.
  const { rooms, typing, receipts, accountData, filters } = roomServices;
  const notifications = new NotificationService({
    store: new SqlNotificationStore(database.db),
    roomStore: roomServices.store,
    writer: roomServices.writer,
    receipts,
    accountData,
    membership,
    clock,
    log: logger,
  });
  await notifications.start();
  // Rows a crash left in memory: evaluated again by the process that writes events (in a cluster, when it becomes the owner).
  if (!cluster) await notifications.recover();
  const pushers = new PusherService({ store: new SqlPusherStore(database.db), clock, allowPrivateGateways: config.push.allow_private_gateways, log: logger });
  await pushers.start();
  // Pushers go with the device that set them (logout, logout/all, device deletion).
  accounts.onDevicesRemoved((userId, deviceIds) => pushers.devicesRemoved(userId, deviceIds));
  // Busy holds the noise: a busy user's ordinary messages are not pushed (docs/presence.md).
  const busyHold = new BusyHold({
    enabled: config.presence.busy_holds_push,
    stateOf: (userId) => presence.current(userId).state,
    loadSettings: () => accountData.everyonesGlobal(BUSY_PUSH_TYPE),
    onAccountData: (listener) => accountData.onChange((userId, _p, ch) => ch.roomId === null && listener(userId, ch.type, ch.content)),
  });
  await busyHold.start();
  const pushDelivery = new PushDelivery(
    {
      pushers,
      notifications,
      writer: roomServices.writer,
      hold: (userId, event, outcome) => busyHold.holds(userId, event, outcome),
      allowPrivateGateways: config.push.allow_private_gateways,
      log: logger,
    },
    opts.push,
  );
  pushDelivery.start();
  const sync = new SyncService(
    [...roomServices.providers, new PresenceStreamProvider(presence, clock, { cluster: cluster !== null }), ...e2ee.providers],
    notifier,
    presence,
    (userId, res) => notifications.fillCounts(userId, res),
    cluster?.syncOptions,
  );
  // Names and avatars live in member events too: a profile change updates the user's rooms.
  accounts.onProfileChanged((userId) => rooms.profileChanged(userId));
  // Operator tools (axon user deactivate, reset-password) change accounts in the database; this applies their changes here.
  const accountChanges = new AccountChangeWatcher({ store: new SqlAdminStore(database.db), accounts, presence, rooms, membership, log: logger, pollMs: 2000, devicesRemoved: (u, ids) => pushers.devicesRemoved(u, ids) });
  await cluster?.wire({ rooms: roomServices, e2ee, accounts, accountChanges, ownerDuties: async () => {
      await notifications.recover();
      await callFieldDuties();
    },
  });
  await accountChanges.start();
  const features = createFeatureServices({ db: database.db, config, clock, accounts, membership, roomServices });
  const deps: AppDeps = { config, clock, accounts, membership, notifier, presence, e2ee, profileFields, sync, rooms, typing, receipts, accountData, filters, ...features, authLimits: new AuthLimits(config.rate_limits, config.listen.trusted_proxies, clock, cluster?.secret ?? null), pushRules: new PushRulesService(accountData), notifications, pushers };
  const app = await buildApp(deps, logger, {
    webRoot: opts.webRoot,
    observe: metrics ? (m, route, status, s) => metrics.request(m, route, status, s) : undefined,
    forward: cluster?.forwardOptions(sync),
  });
  metrics?.attach({ openLongPolls: () => notifier.waiting(), usersByState: () => presence.usersByState(), presenceTotals: () => presence.feed.totals(), frontQueue: () => front?.pending ?? 0 });
  let metricsListener: { url: string; close(): Promise<void> } | null = null;

  let copies: NetServer[] = [];
  let front: FrontDispatch | null = null;
  const server: RunningServer = {
    app,
    deps,
    database,
    url: "",
    async listen() {
      if (metrics) {
        metricsListener = await listenMetrics(metrics, config.metrics.listen.host, config.metrics.listen.port, logger);
        server.metricsUrl = metricsListener.url;
      }
      const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
      if (config.listen.front_thread) {
        const settings = {
          host: config.listen.host,
          port: config.listen.port,
          backlog: BACKLOG,
          acceptDescriptors: config.listen.accept_descriptors,
          maxBody: MAX_BODY,
          maxUploadBody: config.media.max_upload_size,
          keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
          logLevel: config.log.level,
        };
        const observeSync = metrics ? (status: number, s: number) => metrics.request("GET", SYNC_ROUTE, status, s) : null;
        front = await FrontDispatch.start(settings, app, deps, logger, observeSync);
        server.url = `http://${host}:${front.port}`;
        await cluster?.join(config.listen.port === 0 ? server.url : config.cluster!.advertise_url);
        return server.url;
      }
      await app.listen({ host: config.listen.host, port: config.listen.port, backlog: BACKLOG });
      copies = await listenerCopiesOrNone(app.server, config.listen.accept_descriptors - 1, BACKLOG, logger);
      const addr = app.server.address();
      const port = typeof addr === "object" && addr ? addr.port : config.listen.port;
      server.url = `http://${host}:${port}`;
      await cluster?.join(config.listen.port === 0 ? server.url : config.cluster!.advertise_url);
      return server.url;
    },
    async close() {
      await metricsListener?.close();
      await front?.close();
      closeListenerCopies(copies);
      await app.close();
      await accountChanges.close();
      await cluster?.close();
      await presence.close();
      await callField.settled();
      await pushDelivery.close();
      await notifications.close();
      await cluster?.closeBus();
      await database.close();
    },
  };
  return server;
}
