/** A media id's row: pending (from POST /create, no content yet) or uploaded. */
export interface MediaRecord {
  mediaId: string;
  userId: string;
  createdAt: number;
  /** Pending ids expire unused at this time; null once uploaded. */
  expiresAt: number | null;
  contentType: string | null;
  uploadName: string | null;
  size: number | null;
  /** The content's SHA-256 (hex), which names its file; null while pending. */
  sha256: string | null;
}

export interface ThumbnailKey {
  width: number;
  height: number;
  method: "crop" | "scale";
  animated: boolean;
}

export interface ThumbnailRecord extends ThumbnailKey {
  mediaId: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface UploadedContent {
  contentType: string;
  uploadName: string | null;
  size: number;
  sha256: string;
  at: number;
}

/** What the media service needs from the database. */
export interface MediaStore {
  insert(record: MediaRecord): Promise<void>;
  /** Fills a pending id's content; false when it is not the user's pending id (or already filled). */
  complete(mediaId: string, userId: string, content: UploadedContent): Promise<boolean>;
  get(mediaId: string): Promise<MediaRecord | null>;
  /** How many ids the user created since `since`, and the oldest such time. */
  createdSince(userId: string, since: number): Promise<{ count: number; oldest: number | null }>;
  /** Pending ids of the user not expired at `now`. */
  pendingCount(userId: string, now: number): Promise<number>;
  getThumbnail(mediaId: string, key: ThumbnailKey): Promise<ThumbnailRecord | null>;
  /** Keeps the first one stored when two processes make the same thumbnail. */
  putThumbnail(record: ThumbnailRecord): Promise<void>;
}
