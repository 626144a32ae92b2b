/**
 * Types a browser may show inline from our origin: images, audio, video and plain text that
 * cannot run script. Anything else is served as application/octet-stream, as an attachment.
 */
const INLINE_TYPES = new Set([
  "text/plain",
  "text/csv",
  "application/json",
  "application/ld+json",
  "image/jpeg",
  "image/gif",
  "image/png",
  "image/apng",
  "image/webp",
  "image/avif",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
  "audio/mp4",
  "audio/webm",
  "audio/aac",
  "audio/mpeg",
  "audio/ogg",
  "audio/wave",
  "audio/wav",
  "audio/x-wav",
  "audio/x-pn-wav",
  "audio/flac",
  "audio/x-flac",
]);

/** Headers on every media answer: no script, no sniffing, embeddable from any origin. */
export const MEDIA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "sandbox; default-src 'none'",
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "cross-origin",
};

/** The Content-Type and Content-Disposition to serve stored media with. */
export function servingHeaders(storedType: string | null, fileName: string | null): Record<string, string> {
  const base = (storedType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const inline = INLINE_TYPES.has(base);
  const type = inline ? (base.startsWith("text/") ? `${base}; charset=utf-8` : base) : "application/octet-stream";
  return {
    "content-type": type,
    "content-disposition": disposition(inline ? "inline" : "attachment", fileName),
    ...MEDIA_SECURITY_HEADERS,
  };
}

/** `inline`/`attachment` with the file name in both forms (RFC 6266): ASCII fallback and UTF-8. */
export function disposition(kind: "inline" | "attachment", fileName: string | null): string {
  if (!fileName) return kind;
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const utf8 = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=utf-8''${utf8}`;
}
