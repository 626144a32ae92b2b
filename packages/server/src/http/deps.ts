import type { AccountService } from "../accounts/account-service";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { PresenceService } from "../presence/presence-service";
import type { MembershipIndex } from "../rooms/membership-index";
import type { Notifier } from "../sync/notifier";

/** Everything the routes call; built once in main.ts. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  accounts: AccountService;
  membership: MembershipIndex;
  notifier: Notifier;
  presence: PresenceService;
}
