import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { AccountService } from "./accounts/account-service";
import type { Clock } from "./clock";
import { CrossSigningService } from "./e2ee/cross-signing";
import { DeviceListProvider, DeviceLists } from "./e2ee/device-lists";
import { KeyBackupService } from "./e2ee/key-backup";
import { KeyService } from "./e2ee/key-service";
import { ToDeviceProvider, ToDeviceService } from "./e2ee/to-device";
import type { MembershipIndex } from "./rooms/membership-index";
import type { Database } from "./storage/schema";
import { SqlE2eeKeyStore } from "./storage/sql-e2ee-key-store";
import { SqlDeviceListStore, SqlToDeviceStore } from "./storage/sql-e2ee-stream-store";
import { SqlKeyBackupStore } from "./storage/sql-key-backup-store";
import type { Notifier } from "./sync/notifier";
import type { StreamProvider } from "./sync/stream-provider";

/** End-to-end encryption plumbing (issue 15): keys, cross-signing, key backup, device lists, to-device messages. */
export interface E2eeServices {
  keys: KeyService;
  crossSigning: CrossSigningService;
  keyBackup: KeyBackupService;
  deviceLists: DeviceLists;
  toDevice: ToDeviceService;
  /** The /sync providers, in token order: device lists, then to-device. */
  providers: StreamProvider[];
}

/** Part of the composition root: builds the encryption side for main.ts, after the membership index is loaded. */
export async function createE2eeServices(d: {
  db: Kysely<Database>;
  serverName: string;
  clock: Clock;
  accounts: AccountService;
  membership: MembershipIndex;
  notifier: Notifier;
  logger: Logger;
}): Promise<E2eeServices> {
  const onError = (err: unknown) => d.logger.error({ err }, "end-to-end encryption bookkeeping failed");
  const deviceLists = new DeviceLists(new SqlDeviceListStore(d.db), d.membership, d.notifier, onError);
  const keyStore = new SqlE2eeKeyStore(d.db);
  const keys = new KeyService(keyStore, deviceLists, d.accounts, d.serverName);
  const crossSigning = new CrossSigningService(keyStore, deviceLists);
  keys.useCrossSigning(crossSigning);
  const toDevice = new ToDeviceService(new SqlToDeviceStore(d.db), d.notifier, d.clock, onError);
  await deviceLists.start();
  await toDevice.start();
  d.accounts.onDevicesRemoved((userId, deviceIds) => keys.devicesRemoved(userId, deviceIds));
  return { keys, crossSigning, keyBackup: new KeyBackupService(new SqlKeyBackupStore(d.db)), deviceLists, toDevice, providers: [new DeviceListProvider(deviceLists), new ToDeviceProvider(toDevice, keys)] };
}
