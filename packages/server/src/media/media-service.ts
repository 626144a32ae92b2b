import { forbidden, limitExceeded, MatrixError, notFound, tooLarge, unknown } from "@axon/protocol";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../clock";
import type { BlobFiles } from "./blob-files";
import type { MediaRecord, MediaStore } from "./media-store";
import { chooseSize, makeThumbnail, type Thumbnail } from "./thumbnailer";

export interface MediaSettings {
  serverName: string;
  maxUploadSize: number;
  uploadsPerMinute: number;
  maxThumbnailSourcePixels: number;
}

/** How long an id from POST /create may wait for its content (the spec's example: a day). */
export const PENDING_LIFETIME_MS = 24 * 3_600_000;
/** Ids from POST /create a user may hold unfilled at once. */
export const MAX_PENDING = 50;
/** A download of content not yet uploaded waits for it at most this long. */
export const MAX_WAIT_MS = 60_000;
const POLL_MS = 250;

export const notYetUploaded = () => new MatrixError(504, "M_NOT_YET_UPLOADED", "The content has not been uploaded yet.");
export const cannotOverwrite = () => new MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "This media id already has content.");

export interface StoredContent {
  bytes: Buffer;
  contentType: string | null;
  uploadName: string | null;
}

/**
 * The media repository: uploads (direct and the asynchronous create-then-upload pair), downloads
 * and cached thumbnails. Every fact is in the database and the files are content-addressed on
 * disk, so any number of processes can serve the same media.
 */
export class MediaService {
  constructor(
    private readonly store: MediaStore,
    private readonly files: BlobFiles,
    private readonly clock: Clock,
    readonly settings: MediaSettings,
    /** Waits between looks at a pending upload (tests pass a faster one). */
    private readonly pause: (ms: number) => Promise<unknown> = sleep,
  ) {}

  /** POST /upload: stores the bytes and returns the new mxc:// URI. */
  async upload(userId: string, bytes: Uint8Array, contentType: string | null, uploadName: string | null): Promise<string> {
    this.checkSize(bytes.length);
    await this.checkRate(userId);
    const sha256 = await this.files.put(bytes);
    const now = this.clock.now();
    const mediaId = newMediaId();
    await this.store.insert({
      mediaId,
      userId,
      createdAt: now,
      expiresAt: null,
      contentType: contentType ?? "application/octet-stream",
      uploadName,
      size: bytes.length,
      sha256,
    });
    return this.mxc(mediaId);
  }

  /** POST /create: an id whose content comes later, by PUT /upload/{serverName}/{mediaId}. */
  async create(userId: string): Promise<{ contentUri: string; expiresAt: number }> {
    await this.checkRate(userId);
    const now = this.clock.now();
    if ((await this.store.pendingCount(userId, now)) >= MAX_PENDING) {
      throw limitExceeded(60_000);
    }
    const mediaId = newMediaId();
    const expiresAt = now + PENDING_LIFETIME_MS;
    await this.store.insert({ mediaId, userId, createdAt: now, expiresAt, contentType: null, uploadName: null, size: null, sha256: null });
    return { contentUri: this.mxc(mediaId), expiresAt };
  }

  /** PUT /upload/{serverName}/{mediaId}: the content of an id from POST /create, by its creator. */
  async uploadTo(userId: string, serverName: string, mediaId: string, bytes: Uint8Array, contentType: string | null, uploadName: string | null): Promise<void> {
    this.checkSize(bytes.length);
    const record = serverName === this.settings.serverName ? await this.store.get(mediaId) : null;
    if (!record) throw notFound("Unknown media id.");
    if (record.userId !== userId) throw forbidden("This media id was created by someone else.");
    if (record.sha256 !== null) throw cannotOverwrite();
    if (record.expiresAt !== null && record.expiresAt <= this.clock.now()) throw notFound("This media id has expired.");
    const sha256 = await this.files.put(bytes);
    const content = { contentType: contentType ?? "application/octet-stream", uploadName, size: bytes.length, sha256, at: this.clock.now() };
    // Two uploads racing for one id: the first one's update wins, the other is told so.
    if (!(await this.store.complete(mediaId, userId, content))) throw cannotOverwrite();
  }

  /** The stored content, waiting up to `timeoutMs` for a pending upload. */
  async download(serverName: string, mediaId: string, timeoutMs: number): Promise<StoredContent> {
    const record = await this.uploaded(serverName, mediaId, timeoutMs);
    return { bytes: await this.files.read(record.sha256), contentType: record.contentType, uploadName: record.uploadName };
  }

  /** A thumbnail at the standard size that covers the request; made once, then served from the cache. */
  async thumbnail(serverName: string, mediaId: string, req: { width: number; height: number; method: "crop" | "scale"; animated: boolean; timeoutMs: number }): Promise<Thumbnail> {
    const record = await this.uploaded(serverName, mediaId, req.timeoutMs);
    const key = chooseSize(req.width, req.height, req.method, req.animated);
    const cached = await this.store.getThumbnail(mediaId, key);
    if (cached) return { bytes: await this.files.read(cached.sha256), contentType: cached.contentType };
    const made = await makeThumbnail(await this.files.read(record.sha256), key, this.settings.maxThumbnailSourcePixels);
    if (!made) throw unknown("Cannot make a thumbnail of this content.");
    const sha256 = await this.files.put(made.bytes);
    await this.store.putThumbnail({ mediaId, ...key, contentType: made.contentType, size: made.bytes.length, sha256 });
    return made;
  }

  private async uploaded(serverName: string, mediaId: string, timeoutMs: number): Promise<MediaRecord & { sha256: string }> {
    if (serverName !== this.settings.serverName) throw notFound("Media from other servers is not available here.");
    for (let waited = 0; ; waited += POLL_MS) {
      const record = await this.store.get(mediaId);
      if (!record) throw notFound("Unknown media id.");
      if (record.sha256 !== null) return { ...record, sha256: record.sha256 };
      if (record.expiresAt !== null && record.expiresAt <= this.clock.now()) throw notFound("Unknown media id.");
      if (waited >= Math.min(timeoutMs, MAX_WAIT_MS)) throw notYetUploaded();
      await this.pause(POLL_MS);
    }
  }

  private checkSize(size: number): void {
    if (size > this.settings.maxUploadSize) throw tooLarge(`The upload is larger than the limit of ${this.settings.maxUploadSize} bytes.`);
  }

  /** At most `uploadsPerMinute` new ids per user in any minute, counted in the database (so across processes). */
  private async checkRate(userId: string): Promise<void> {
    const limit = this.settings.uploadsPerMinute;
    if (limit <= 0) return;
    const now = this.clock.now();
    const { count, oldest } = await this.store.createdSince(userId, now - 60_000);
    if (count >= limit) throw limitExceeded(Math.max(1, (oldest ?? now) + 60_000 - now));
  }

  private mxc(mediaId: string): string {
    return `mxc://${this.settings.serverName}/${mediaId}`;
  }
}

/** 24 characters of [A-Za-z0-9_-] (144 random bits): safe in URLs and file names. */
function newMediaId(): string {
  return randomBytes(18).toString("base64url");
}
