import type { Kysely } from "kysely";
import { resolve } from "node:path";
import type { AccountService } from "./accounts/account-service";
import type { Clock } from "./clock";
import type { RoomServices } from "./compose-rooms";
import type { Config } from "./config";
import { BlobFiles } from "./media/blob-files";
import { MediaService } from "./media/media-service";
import { UserDirectory } from "./directory/user-directory";
import type { MembershipIndex } from "./rooms/membership-index";
import type { BundledAggregations } from "./relations/aggregations";
import { RedactionService } from "./relations/redaction-service";
import { RelationsService } from "./relations/relations-service";
import { SearchService } from "./search/search-service";
import { SpaceHierarchy } from "./startup/hierarchy";
import { ReportService } from "./startup/report-service";
import type { Database } from "./storage/schema";
import { SqlMediaStore } from "./storage/sql-media-store";
import { SqlRelationsStore } from "./storage/sql-relations-store";
import { SqlReportStore } from "./storage/sql-report-store";
import { SqlSearchStore } from "./storage/sql-search-store";
import { SqlUserDirectoryStore } from "./storage/sql-user-directory-store";

/** The services of Element's everyday features (issue 16): media, reports, spaces, the user directory, relations and redactions, search. */
export interface FeatureServices {
  media: MediaService;
  reports: ReportService;
  hierarchy: SpaceHierarchy;
  userDirectory: UserDirectory;
  aggregations: BundledAggregations;
  relations: RelationsService;
  redactions: RedactionService;
  search: SearchService;
}

export interface FeatureInputs {
  db: Kysely<Database>;
  config: Config;
  clock: Clock;
  accounts: AccountService;
  membership: MembershipIndex;
  roomServices: RoomServices;
}

/** Part of the composition root: builds the feature services for main.ts. */
export function createFeatureServices(d: FeatureInputs): FeatureServices {
  const { media: m } = d.config;
  const { rooms, store, writer, aggregations } = d.roomServices;
  const profiles = async (userId: Parameters<AccountService["getUser"]>[0]) => {
    const u = await d.accounts.getUser(userId);
    return u ? { displayname: u.displayname, avatarUrl: u.avatarUrl } : null;
  };
  const media = new MediaService(new SqlMediaStore(d.db), new BlobFiles(resolve(m.path)), d.clock, {
    serverName: d.config.server_name,
    maxUploadSize: m.max_upload_size,
    uploadsPerMinute: m.uploads_per_minute,
    maxThumbnailSourcePixels: m.max_thumbnail_source_pixels,
  });
  return {
    media,
    reports: new ReportService(new SqlReportStore(d.db), rooms, d.clock),
    hierarchy: new SpaceHierarchy(rooms, d.membership),
    userDirectory: new UserDirectory(new SqlUserDirectoryStore(d.db), d.config.user_directory.search_all_users),
    aggregations,
    relations: new RelationsService(new SqlRelationsStore(d.db), rooms, aggregations, store),
    redactions: new RedactionService(rooms, store, writer),
    search: new SearchService(new SqlSearchStore(d.db), rooms, aggregations, store, profiles, d.clock),
  };
}
