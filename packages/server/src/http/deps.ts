import type { AccountService } from "../accounts/account-service";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { PresenceService } from "../presence/presence-service";
import type { ProfileFieldService } from "../profile/profile-field-service";
import type { MembershipIndex } from "../rooms/membership-index";
import type { Notifier } from "../sync/notifier";
import type { SyncService } from "../sync/sync-service";
import type { RoomServices } from "../compose-rooms";
import type { FeatureServices } from "../compose-features";
import type { E2eeServices } from "../compose-e2ee";
import type { AuthLimits } from "../limits/auth-limits";
import type { PushRulesService } from "../push/push-rules-service";
import type { NotificationService } from "../notifications/notification-service";
import type { PusherService } from "../pushers/pusher-service";

/** Everything the routes call; built once in main.ts. */
export interface AppDeps extends FeatureServices {
  config: Config;
  clock: Clock;
  accounts: AccountService;
  membership: MembershipIndex;
  notifier: Notifier;
  sync: SyncService;
  rooms: RoomServices["rooms"];
  typing: RoomServices["typing"];
  receipts: RoomServices["receipts"];
  accountData: RoomServices["accountData"];
  filters: RoomServices["filters"];
  presence: PresenceService;
  /** End-to-end encryption: keys, device lists, to-device messages. */
  e2ee: E2eeServices;
  /** Rate limits on POST /login and /register (never consulted by /sync or presence). */
  authLimits: AuthLimits;
  /** Extended profile fields (spec v1.16). */
  profileFields: ProfileFieldService;
  /** Each user's push rules (defaults plus their own), kept in account data. */
  pushRules: PushRulesService;
  /** Unread notification counts and GET /notifications. */
  notifications: NotificationService;
  /** HTTP pushers (GET /pushers, POST /pushers/set). */
  pushers: PusherService;
}
