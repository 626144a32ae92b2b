import type { Kysely } from "kysely";
import type { MediaRecord, MediaStore, ThumbnailKey, ThumbnailRecord, UploadedContent } from "../media/media-store";
import type { Database, MediaTable, MediaThumbnailsTable } from "./schema";

const toRecord = (r: MediaTable): MediaRecord => ({
  mediaId: r.media_id,
  userId: r.user_id,
  createdAt: r.created_ts,
  expiresAt: r.expires_ts,
  contentType: r.content_type,
  uploadName: r.upload_name,
  size: r.size,
  sha256: r.sha256,
});

const toThumbnail = (r: MediaThumbnailsTable): ThumbnailRecord => ({
  mediaId: r.media_id,
  width: r.width,
  height: r.height,
  method: r.method === "crop" ? "crop" : "scale",
  animated: r.animated === 1,
  contentType: r.content_type,
  size: r.size,
  sha256: r.sha256,
});

export class SqlMediaStore implements MediaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(m: MediaRecord): Promise<void> {
    await this.db
      .insertInto("media")
      .values({
        media_id: m.mediaId,
        user_id: m.userId,
        created_ts: m.createdAt,
        expires_ts: m.expiresAt,
        content_type: m.contentType,
        upload_name: m.uploadName,
        size: m.size,
        sha256: m.sha256,
        uploaded_ts: m.sha256 === null ? null : m.createdAt,
      })
      .execute();
  }

  async complete(mediaId: string, userId: string, c: UploadedContent): Promise<boolean> {
    const res = await this.db
      .updateTable("media")
      .set({ content_type: c.contentType, upload_name: c.uploadName, size: c.size, sha256: c.sha256, uploaded_ts: c.at, expires_ts: null })
      .where("media_id", "=", mediaId)
      .where("user_id", "=", userId)
      .where("sha256", "is", null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async get(mediaId: string): Promise<MediaRecord | null> {
    const row = await this.db.selectFrom("media").selectAll().where("media_id", "=", mediaId).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async createdSince(userId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const row = await this.db
      .selectFrom("media")
      .select((eb) => [eb.fn.countAll<number>().as("count"), eb.fn.min("created_ts").as("oldest")])
      .where("user_id", "=", userId)
      .where("created_ts", ">", since)
      .executeTakeFirst();
    return { count: Number(row?.count ?? 0), oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
  }

  async pendingCount(userId: string, now: number): Promise<number> {
    const row = await this.db
      .selectFrom("media")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("user_id", "=", userId)
      .where("sha256", "is", null)
      .where("expires_ts", ">", now)
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async getThumbnail(mediaId: string, k: ThumbnailKey): Promise<ThumbnailRecord | null> {
    const row = await this.db
      .selectFrom("media_thumbnails")
      .selectAll()
      .where("media_id", "=", mediaId)
      .where("width", "=", k.width)
      .where("height", "=", k.height)
      .where("method", "=", k.method)
      .where("animated", "=", k.animated ? 1 : 0)
      .executeTakeFirst();
    return row ? toThumbnail(row) : null;
  }

  async putThumbnail(t: ThumbnailRecord): Promise<void> {
    await this.db
      .insertInto("media_thumbnails")
      .values({ media_id: t.mediaId, width: t.width, height: t.height, method: t.method, animated: t.animated ? 1 : 0, content_type: t.contentType, size: t.size, sha256: t.sha256 })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
