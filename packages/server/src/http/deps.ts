import type { AccountService } from "../accounts/account-service";
import type { Clock } from "../clock";
import type { Config } from "../config";

/** Everything the routes call; built once in main.ts. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  accounts: AccountService;
}
