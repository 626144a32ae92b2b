import { invalidParam, missingParam, notFound } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AppDeps } from "../deps";
import { queryString, requireAuth } from "../request";
import { disposition, MEDIA_SECURITY_HEADERS, servingHeaders } from "../../media/serve-headers";

const DEFAULT_WAIT_MS = 20_000;

type MediaParams = { serverName: string; mediaId: string; fileName?: string };

/** The upload's bytes (an empty body is an empty file). */
function bodyBytes(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function contentTypeOf(req: FastifyRequest): string | null {
  const t = req.headers["content-type"];
  return typeof t === "string" && t.length > 0 && t.length <= 255 ? t : null;
}

function fileNameOf(req: FastifyRequest): string | null {
  const name = queryString(req, "filename");
  if (name === undefined || name === "") return null;
  if (name.length > 255 || name.includes("/")) throw invalidParam("Invalid 'filename'.");
  return name;
}

function timeoutOf(req: FastifyRequest): number {
  const raw = queryString(req, "timeout_ms");
  if (raw === undefined) return DEFAULT_WAIT_MS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw invalidParam("'timeout_ms' must be a non-negative integer.");
  return n;
}

function dimension(req: FastifyRequest, name: "width" | "height"): number {
  const raw = queryString(req, name);
  if (raw === undefined) throw missingParam(`Missing '${name}'.`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10_000) throw invalidParam(`'${name}' must be an integer from 1 to 10000.`);
  return n;
}

/**
 * The media repository's endpoints: uploads under /_matrix/media, downloads and thumbnails under
 * /_matrix/client/v1/media (authenticated), and the frozen unauthenticated ones behind a switch.
 * Bodies here are raw bytes up to `media.max_upload_size`, unlike the 1 MiB JSON everywhere else.
 */
export const mediaRoutes =
  ({ accounts, media, config }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const uploadLimit = config.media.max_upload_size;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: uploadLimit }, (_req, body, done) => done(null, body));

    const upload = async (req: FastifyRequest) => {
      const who = await requireAuth(req, accounts);
      const uri = await media.upload(who.userId, bodyBytes(req), contentTypeOf(req), fileNameOf(req));
      return { content_uri: uri };
    };
    const uploadTo = async (req: FastifyRequest) => {
      const who = await requireAuth(req, accounts);
      const p = req.params as MediaParams;
      await media.uploadTo(who.userId, p.serverName, p.mediaId, bodyBytes(req), contentTypeOf(req), fileNameOf(req));
      return {};
    };
    const create = async (req: FastifyRequest) => {
      const who = await requireAuth(req, accounts);
      const made = await media.create(who.userId);
      return { content_uri: made.contentUri, unused_expires_at: made.expiresAt };
    };
    const mediaConfig = async (req: FastifyRequest) => {
      await requireAuth(req, accounts);
      return { "m.upload.size": uploadLimit };
    };
    const download = async (req: FastifyRequest, reply: FastifyReply) => {
      const p = req.params as MediaParams;
      const content = await media.download(p.serverName, p.mediaId, timeoutOf(req));
      void reply.headers({ ...servingHeaders(content.contentType, p.fileName ?? content.uploadName), "cache-control": "private, max-age=86400" });
      return reply.send(content.bytes);
    };
    const thumbnail = async (req: FastifyRequest, reply: FastifyReply) => {
      const p = req.params as MediaParams;
      const method = queryString(req, "method") ?? "scale";
      if (method !== "scale" && method !== "crop") throw invalidParam("'method' must be crop or scale.");
      const animatedRaw = queryString(req, "animated");
      if (animatedRaw !== undefined && animatedRaw !== "true" && animatedRaw !== "false") throw invalidParam("'animated' must be true or false.");
      const thumb = await media.thumbnail(p.serverName, p.mediaId, {
        width: dimension(req, "width"),
        height: dimension(req, "height"),
        method,
        animated: animatedRaw === "true",
        timeoutMs: timeoutOf(req),
      });
      const ext = thumb.contentType.split("/")[1] ?? "bin";
      void reply.headers({
        "content-type": thumb.contentType,
        "content-disposition": disposition("inline", `thumbnail.${ext}`),
        ...MEDIA_SECURITY_HEADERS,
        "cache-control": "private, max-age=86400",
      });
      return reply.send(thumb.bytes);
    };
    const authed =
      (handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
      async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        await requireAuth(req, accounts);
        return handler(req, reply);
      };
    // The spec froze these in v1.11: new installs serve nothing through them unless the operator says so.
    const legacy =
      (handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
      async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        if (!config.media.legacy_unauthenticated) throw notFound("Use the authenticated media endpoints under /_matrix/client/v1/media.");
        return handler(req, reply);
      };

    for (const v of ["v3", "r0"]) {
      app.post(`/_matrix/media/${v}/upload`, { bodyLimit: uploadLimit }, upload);
      app.put(`/_matrix/media/${v}/upload/:serverName/:mediaId`, { bodyLimit: uploadLimit }, uploadTo);
      app.get(`/_matrix/media/${v}/config`, mediaConfig);
      app.get(`/_matrix/media/${v}/download/:serverName/:mediaId`, legacy(download));
      app.get(`/_matrix/media/${v}/download/:serverName/:mediaId/:fileName`, legacy(download));
      app.get(`/_matrix/media/${v}/thumbnail/:serverName/:mediaId`, legacy(thumbnail));
    }
    app.post("/_matrix/media/v1/create", create);
    app.get("/_matrix/client/v1/media/config", mediaConfig);
    app.get("/_matrix/client/v1/media/download/:serverName/:mediaId", authed(download));
    app.get("/_matrix/client/v1/media/download/:serverName/:mediaId/:fileName", authed(download));
    app.get("/_matrix/client/v1/media/thumbnail/:serverName/:mediaId", authed(thumbnail));
  };
