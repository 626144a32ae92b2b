import type { Kysely } from "kysely";
import { resolve } from "node:path";
import type { Clock } from "./clock";
import type { Config } from "./config";
import { BlobFiles } from "./media/blob-files";
import { MediaService } from "./media/media-service";
import type { Database } from "./storage/schema";
import { SqlMediaStore } from "./storage/sql-media-store";

/** The services of Element's everyday features (issue 16): media, and more as they come. */
export interface FeatureServices {
  media: MediaService;
}

/** Part of the composition root: builds the feature services for main.ts. */
export function createFeatureServices(d: { db: Kysely<Database>; config: Config; clock: Clock }): FeatureServices {
  const { media: m } = d.config;
  const media = new MediaService(new SqlMediaStore(d.db), new BlobFiles(resolve(m.path)), d.clock, {
    serverName: d.config.server_name,
    maxUploadSize: m.max_upload_size,
    uploadsPerMinute: m.uploads_per_minute,
    maxThumbnailSourcePixels: m.max_thumbnail_source_pixels,
  });
  return { media };
}
