import type { FastifyPluginAsync } from "fastify";
import { invalidParam, missingParam } from "@axon/protocol";
import { claimSchema, querySchema, uploadSchema } from "../../e2ee/key-validation";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";
import { requirePassword } from "../user-interactive";

/** Device keys: POST /keys/upload, /keys/query, /keys/claim; GET /keys/changes; cross-signing keys and signatures. */
export const keyRoutes =
  ({ accounts, e2ee, sync }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.post("/keys/upload", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(uploadSchema, jsonObject(req));
      return e2ee.keys.upload(who.userId, who.deviceId, body);
    });

    app.post("/keys/query", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = parseWith(querySchema, jsonObject(req));
      return e2ee.keys.query(who.userId, body.device_keys);
    });

    app.post("/keys/claim", async (req) => {
      await requireAuth(req, accounts);
      const body = parseWith(claimSchema, jsonObject(req));
      return e2ee.keys.claim(body.one_time_keys);
    });

    app.get("/keys/changes", async (req) => {
      const who = await requireAuth(req, accounts);
      const from = queryString(req, "from");
      const to = queryString(req, "to");
      if (from === undefined) throw missingParam("Missing 'from'.");
      if (to === undefined) throw missingParam("Missing 'to'.");
      const a = sync.streamPosition(from, "device_lists");
      const b = sync.streamPosition(to, "device_lists");
      if (a > b) throw invalidParam("'from' is after 'to'.");
      return e2ee.deviceLists.delta(who.userId, a, b);
    });

    // Replacing a master key needs the password (user-interactive auth); the first upload does not (MSC3967).
    app.post("/keys/device_signing/upload", async (req) => {
      const who = await requireAuth(req, accounts);
      const body = jsonObject(req);
      const upload = await e2ee.crossSigning.prepareUpload(who.userId, body);
      if (upload.needsAuth) await requirePassword(accounts, who.userId, body.auth);
      await upload.commit();
      return {};
    });

    app.post("/keys/signatures/upload", async (req) => {
      const who = await requireAuth(req, accounts);
      return e2ee.crossSigning.uploadSignatures(who.userId, jsonObject(req));
    });
  };
