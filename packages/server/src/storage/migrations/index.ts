import type { Migration } from "kysely";
import * as m0001 from "./0001-accounts";
import * as m0002 from "./0002-rooms";
import * as m0003 from "./0003-presence";
import * as m0004 from "./0004-media";
import * as m0005 from "./0005-presence-expiry";
import * as m0006 from "./0006-profile-fields";
import * as m0007 from "./0007-reports";
import * as m0009 from "./0009-e2ee";
import * as m0010 from "./0010-account-changes";
import * as m0011 from "./0011-relations";
import * as m0012 from "./0012-search";
import * as m0013 from "./0013-key-backup";
import * as m0014 from "./0014-notifications";
import * as m0015 from "./0015-pushers";
import * as m0016 from "./0016-cluster-owner";
import * as m0017 from "./0017-stream-positions";
import * as m0018 from "./0018-cluster-settings";
import * as m0019 from "./0019-stream-indexes";

/** Every migration, in order; a new one is a numbered module added here. */
export const migrations: Record<string, Migration> = {
  "0001-accounts": m0001,
  "0002-rooms": m0002,
  "0003-presence": m0003,
  "0004-media": m0004,
  "0005-presence-expiry": m0005,
  "0006-profile-fields": m0006,
  "0007-reports": m0007,
  "0009-e2ee": m0009,
  "0010-account-changes": m0010,
  "0011-relations": m0011,
  "0012-search": m0012,
  "0013-key-backup": m0013,
  "0014-notifications": m0014,
  "0015-pushers": m0015,
  "0016-cluster-owner": m0016,
  "0017-stream-positions": m0017,
  "0018-cluster-settings": m0018,
  "0019-stream-indexes": m0019,
};
