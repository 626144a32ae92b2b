import type { Kysely } from "kysely";
import type { AccountService } from "./accounts/account-service";
import type { Clock } from "./clock";
import type { PresenceHooks } from "./presence/presence-hooks";
import type { Database } from "./storage/schema";
import { SqlAccountDataStore, SqlFilterStore, SqlReceiptStore } from "./storage/sql-ephemeral-store";
import { SqlRoomStore } from "./storage/sql-room-store";
import { AccountDataProvider, ReceiptsProvider, TypingProvider } from "./sync/ephemeral-providers";
import type { Notifier } from "./sync/notifier";
import { RoomEventsProvider } from "./sync/room-events-provider";
import { RecentEvents } from "./rooms/recent-events";
import type { StreamProvider } from "./sync/stream-provider";
import { FilterService } from "./sync/sync-filter";
import { AccountDataService } from "./rooms/account-data-service";
import type { MembershipIndex } from "./rooms/membership-index";
import { ReceiptService } from "./rooms/receipt-service";
import { RoomService } from "./rooms/room-service";
import { RoomWriter } from "./rooms/room-writer";
import { BundledAggregations } from "./relations/aggregations";
import { patchCachedEvents } from "./relations/cache-patch";
import { SqlRelationsStore } from "./storage/sql-relations-store";
import { TypingService } from "./rooms/typing-service";

export interface RoomServices {
  rooms: RoomService;
  typing: TypingService;
  receipts: ReceiptService;
  accountData: AccountDataService;
  filters: FilterService;
  /** The /sync providers for rooms, typing, receipts and account data, in token order. */
  providers: StreamProvider[];
  /** For the feature services (compose-features.ts): relations, redactions, search. */
  store: SqlRoomStore;
  writer: RoomWriter;
  aggregations: BundledAggregations;
}

/** Part of the composition root: builds the rooms side (stores, services, sync providers) and loads its start-up state. */
export async function createRoomServices(d: {
  db: Kysely<Database>;
  serverName: string;
  clock: Clock;
  accounts: AccountService;
  membership: MembershipIndex;
  notifier: Notifier;
  hooks: PresenceHooks;
}): Promise<RoomServices> {
  const store = new SqlRoomStore(d.db);
  const writer = new RoomWriter(store, d.membership, d.notifier, d.clock, d.hooks);
  const profiles = async (userId: Parameters<AccountService["getUser"]>[0]) => {
    const u = await d.accounts.getUser(userId);
    return u ? { displayname: u.displayname, avatarUrl: u.avatarUrl } : null;
  };
  const rooms = new RoomService(store, writer, d.membership, d.clock, d.serverName, profiles, d.hooks);
  const typing = new TypingService(d.membership, d.notifier, d.clock, d.hooks);
  const receipts = new ReceiptService(new SqlReceiptStore(d.db), rooms, d.membership, d.notifier, d.clock, d.hooks);
  const accountData = new AccountDataService(new SqlAccountDataStore(d.db), d.notifier);
  const recent = new RecentEvents(store, writer);
  patchCachedEvents(writer, recent);
  const aggregations = new BundledAggregations(new SqlRelationsStore(d.db), store, d.clock);
  const events = new RoomEventsProvider(store, writer, recent, d.membership, d.clock, aggregations);
  const receiptsProvider = new ReceiptsProvider(receipts, d.membership);
  const accountDataProvider = new AccountDataProvider(accountData, d.membership);
  await writer.start();
  await receipts.start();
  await accountData.start();
  events.start();
  receiptsProvider.start();
  accountDataProvider.start();
  return {
    rooms,
    typing,
    receipts,
    accountData,
    filters: new FilterService(new SqlFilterStore(d.db)),
    providers: [events, new TypingProvider(typing, d.membership), receiptsProvider, accountDataProvider],
    store,
    writer,
    aggregations,
  };
}
