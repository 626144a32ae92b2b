import { invalidParam } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, requireAuth } from "../request";

const MAX_PUSHKEY_BYTES = 512;
const text = z.string().max(256);

/** What every POST /pushers/set names: the pusher, and whether it is set or deleted (kind null). */
const target = z.object({
  kind: z.string().nullable(),
  app_id: z.string().min(1).max(64),
  pushkey: z
    .string()
    .min(1)
    .refine((k) => Buffer.byteLength(k, "utf8") <= MAX_PUSHKEY_BYTES, `at most ${MAX_PUSHKEY_BYTES} bytes`),
  append: z.boolean().optional(),
});

/** The rest of an http pusher; `data` keeps the client's own keys (they are forwarded to the gateway). */
const httpPusher = z.object({
  app_display_name: text,
  device_display_name: text,
  profile_tag: text.nullish(),
  lang: z.string().min(1).max(64),
  data: z.looseObject({ url: z.string().max(2048), format: z.literal("event_id_only").optional() }),
});

export const pusherRoutes =
  ({ accounts, pushers }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /pushers
    app.get("/pushers", async (req) => {
      const who = await requireAuth(req, accounts);
      return { pushers: pushers.list(who.userId) };
    });

    // POST /pushers/set: create or update (kind "http"), or delete (kind null)
    app.post("/pushers/set", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = jsonObject(req);
      const t = parseWith(target, body);
      const key = { userId: who.userId, appId: t.app_id, pushkey: t.pushkey };
      if (t.kind === null) {
        await pushers.delete(key);
        return {};
      }
      if (t.kind !== "http") throw invalidParam(`Unsupported pusher kind '${t.kind}': this server has only "http" pushers (null deletes one).`);
      const p = parseWith(httpPusher, body);
      await pushers.set(
        who.userId,
        who.deviceId,
        {
          appId: t.app_id,
          pushkey: t.pushkey,
          appDisplayName: p.app_display_name,
          deviceDisplayName: p.device_display_name,
          profileTag: p.profile_tag ?? null,
          lang: p.lang,
          data: p.data,
        },
        t.append ?? false,
      );
      return {};
    });
  };
