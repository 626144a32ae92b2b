export { createServer, type RunningServer, type ServerOptions } from "./main";
export { buildConfig, loadConfig, ConfigError, type Config } from "./config";
export { openDatabase } from "./storage/database";
export { SqlAccountStore } from "./storage/sql-account-store";
export { AccountService } from "./accounts/account-service";
export { UserAdmin } from "./admin/user-admin";
export { SqlAdminStore } from "./storage/sql-admin-store";
export { systemClock, FakeClock, type Clock } from "./clock";
