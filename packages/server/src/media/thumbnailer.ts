import sharp from "sharp";
import type { ThumbnailKey } from "./media-store";

/** The sizes thumbnails are made at; a request gets the smallest of its method that covers it. */
export const THUMBNAIL_SIZES: readonly ThumbnailKey[] = [
  { width: 32, height: 32, method: "crop", animated: false },
  { width: 96, height: 96, method: "crop", animated: false },
  { width: 320, height: 240, method: "scale", animated: false },
  { width: 640, height: 480, method: "scale", animated: false },
  { width: 800, height: 600, method: "scale", animated: false },
];

/** The standard size that serves a request of `width` × `height` by `method`. */
export function chooseSize(width: number, height: number, method: "crop" | "scale", animated: boolean): ThumbnailKey {
  const sizes = THUMBNAIL_SIZES.filter((s) => s.method === method);
  const fit = sizes.find((s) => s.width >= width && s.height >= height) ?? sizes[sizes.length - 1];
  if (!fit) throw new Error(`no thumbnail size for ${method}`);
  return { ...fit, animated };
}

type Kind = "jpeg" | "png" | "gif" | "webp";

/**
 * The image kind from the file's first bytes (not its claimed type). Only these four are ever
 * handed to the decoder: no SVG, PDF, TIFF or anything else a decoder could be tricked by.
 */
export function sniffImage(bytes: Uint8Array): Kind | null {
  const at = (i: number, s: string) => Buffer.from(bytes.subarray(i, i + s.length)).toString("latin1") === s;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (at(0, "\x89PNG\r\n\x1a\n")) return "png";
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "gif";
  if (at(0, "RIFF") && at(8, "WEBP")) return "webp";
  return null;
}

export interface Thumbnail {
  bytes: Buffer;
  contentType: string;
}

/**
 * Makes a thumbnail, never enlarging: `crop` fills the box exactly (cut to fit), `scale` fits
 * inside it. Animated GIF/WebP stay animated (as WebP) only when asked. Null when the bytes are
 * not an image this makes thumbnails of, or fail to decode, or exceed `maxPixels`.
 */
export async function makeThumbnail(bytes: Uint8Array, key: ThumbnailKey, maxPixels: number): Promise<Thumbnail | null> {
  const kind = sniffImage(bytes);
  if (!kind) return null;
  const animated = key.animated && (kind === "gif" || kind === "webp");
  try {
    const image = sharp(bytes, { limitInputPixels: maxPixels, failOn: "error", animated })
      .rotate()
      .resize(key.width, key.height, { fit: key.method === "crop" ? "cover" : "inside", withoutEnlargement: true });
    if (animated) return { bytes: await image.webp({ quality: 80 }).toBuffer(), contentType: "image/webp" };
    if (kind === "jpeg") return { bytes: await image.jpeg({ quality: 80 }).toBuffer(), contentType: "image/jpeg" };
    return { bytes: await image.png().toBuffer(), contentType: "image/png" };
  } catch {
    return null;
  }
}
