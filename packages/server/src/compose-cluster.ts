import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { AccountService } from "./accounts/account-service";
import type { AccountChangeWatcher } from "./admin/account-changes";
import { RedisBus } from "./cluster/bus";
import { OwnerElection } from "./cluster/owner-election";
import { createClusterPresence, type ClusterPresence } from "./cluster/presence-cluster";
import { StreamFollower } from "./cluster/stream-follower";
import { StreamPublisher } from "./cluster/stream-publisher";
import type { Clock } from "./clock";
import type { Config } from "./config";
import type { E2eeServices } from "./compose-e2ee";
import type { RoomServices } from "./compose-rooms";
import type { ForwardOptions } from "./cluster/forward";
import type { MembershipIndex } from "./rooms/membership-index";
import type { Notifier } from "./sync/notifier";
import type { SyncService } from "./sync/sync-service";
import type { Database } from "./storage/schema";
import { SqlClusterStore } from "./storage/sql-cluster-store";
import { SqlPresenceStore } from "./storage/sql-presence-store";

/** Streams a follower cannot catch up from the database (memory on the owner): not waited for. */
const NOT_WAITED = new Set(["typing", "presence"]);

/**
 * Part of the composition root, for `cluster:` (several processes on one PostgreSQL, docs/cluster.md):
 * the bus, presence as a follower that can become the owner, the streams in both directions, the
 * election, and what the HTTP layer needs to forward writes. `createServer` builds everything else
 * as for one process; this file only adds and switches.
 */
export class ClusterNode {
  private owner = false;
  private election: OwnerElection | null = null;
  private follower: StreamFollower | null = null;
  private publisher: StreamPublisher | null = null;
  private parts: ClusterParts | null = null;
  private promoting: Promise<void> | null = null;
  private secretValue = "";
  private closing = false;

  private constructor(
    readonly bus: RedisBus,
    readonly presence: ClusterPresence,
    private readonly config: Config,
    private readonly store: SqlClusterStore,
    private readonly log: Logger,
    private readonly onFatal: (reason: string) => void,
  ) {}

  /** Connects to Redis (failing clearly when it cannot) and makes presence, as a follower. */
  static async open(d: { config: Config; db: Kysely<Database>; clock: Clock; membership: MembershipIndex; notifier: Notifier; log: Logger; onFatal?: (reason: string) => void }): Promise<ClusterNode> {
    const cluster = d.config.cluster!;
    const bus = await RedisBus.connect({ url: cluster.redis_url, prefix: `axon:${d.config.server_name}`, log: d.log });
    const presence = createClusterPresence({ config: d.config.presence, clock: d.clock, store: new SqlPresenceStore(d.db), membership: d.membership, notifier: d.notifier, log: d.log }, { bus });
    const onFatal =
      d.onFatal ??
      ((reason: string) => {
        d.log.fatal({ reason }, "cluster: this process can no longer act as the owner; exiting so that another takes over");
        process.exit(70);
      });
    return new ClusterNode(bus, presence, d.config, new SqlClusterStore(d.db), d.log, onFatal);
  }

  /** Marks requests forwarded by a peer (read from the database by wire()). */
  get secret(): string {
    return this.secretValue;
  }

  /** Whether this process is the owner now (forwarding stops once promotion is complete). */
  get isOwner(): boolean {
    return this.owner;
  }

  /** Wires the streams once every service exists (before the server answers requests). */
  async wire(p: ClusterParts): Promise<void> {
    this.parts = p;
    this.secretValue = await this.store.secret();
    p.e2ee.deviceLists.following = true;
    p.accountChanges.follow();
    const { writer, receipts, accountData, typing, store: roomStore } = p.rooms;
    const { deviceLists, toDevice, keys } = p.e2ee;
    this.publisher = new StreamPublisher(this.bus, { writer, receipts, accountData, typing, deviceLists, toDevice, keys, accounts: p.accounts });
    this.follower = new StreamFollower(
      this.bus,
      {
        writer,
        eventsBetween: (from, to, limit) => roomStore.eventsBetween(from, to, limit),
        receipts,
        accountData,
        typing,
        deviceLists,
        toDevice,
        keys,
        accounts: p.accounts,
        maxima: () => this.store.maxima(),
      },
      this.log,
    );
    this.follower.start();
    await this.bus.subscribed();
    await this.follower.catchUpAll();
  }

  /** What SyncService needs: tokens from processes that saw more are accepted and hurry the catching up. */
  readonly syncOptions = { onAhead: () => void this.follower?.catchUpAll() };

  /** What the HTTP layer needs to forward every write to the owner. */
  forwardOptions(sync: SyncService): ForwardOptions {
    return {
      isOwner: () => this.owner,
      ownerUrl: async () => (await this.election?.currentOwner())?.url ?? null,
      secret: this.secretValue,
      selfUrl: this.config.cluster!.advertise_url,
      currentToken: () => sync.currentToken(),
      waitForToken: (token, maxMs) => this.waitFor(sync, token, maxMs),
      log: this.log,
    };
  }

  /** Starts taking part in the election, once the process listens at `url`. */
  async join(url: string): Promise<void> {
    this.election = new OwnerElection({ connectionString: this.config.database.url, lockKey: `axon:${this.config.server_name}:owner`, processId: this.bus.processId, url, log: this.log });
    this.election.onChange((isOwner) => {
      if (isOwner) this.promoting ??= this.promote().catch((err: unknown) => this.onFatal(`promotion failed: ${String(err)}`));
      else if (this.promoting && !this.closing) this.onFatal("lost the owner lock");
    });
    await this.election.start();
  }

  /** The process holds the lock: catch up with what the old owner wrote, then take over its duties. */
  private async promote(): Promise<void> {
    const p = this.parts!;
    const epoch = this.election!.epoch ?? 0;
    this.log.info({ epoch }, "cluster: elected owner; taking over");
    this.follower!.stop();
    await this.follower!.catchUpAll();
    p.e2ee.deviceLists.following = false;
    this.publisher!.activate({
      events: p.rooms.writer.latest(),
      receipts: p.rooms.receipts.latest(),
      account_data: p.rooms.accountData.latest(),
      deviceLists: p.e2ee.deviceLists.latest(),
      toDevice: p.e2ee.toDevice.latest(),
    });
    p.rooms.typing.dropFollowed();
    await this.presence.promote(epoch);
    await p.ownerDuties();
    await p.accountChanges.promote();
    this.owner = true;
    this.log.info({ epoch }, "cluster: this process is the owner");
  }

  /** Resolves once this process's streams (those kept in the database) have reached a token's positions. */
  private async waitFor(sync: SyncService, token: string, maxMs: number): Promise<void> {
    const end = Date.now() + maxMs;
    while (!sync.hasReached(token, NOT_WAITED)) {
      if (Date.now() >= end) return;
      await this.follower?.catchUpAll();
      if (sync.hasReached(token, NOT_WAITED)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops following and leaves the election (the lock goes at once); presence says goodbye after this, over the bus. */
  async close(): Promise<void> {
    this.closing = true;
    this.follower?.close();
    await this.election?.close();
  }

  async closeBus(): Promise<void> {
    await this.bus.close();
  }
}

export interface ClusterParts {
  rooms: RoomServices;
  e2ee: E2eeServices;
  accounts: AccountService;
  accountChanges: AccountChangeWatcher;
  /** The rest of the owner's duties (the call profile field's clean-up and tracking). */
  ownerDuties(): Promise<void>;
}
