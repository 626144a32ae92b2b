import {
  BUSY_SPELLINGS,
  EXPIRES_AT_FIELD,
  forbidden,
  invalidParam,
  limitExceeded,
  missingParam,
  parsePresenceState,
  parseUserId,
  type UserId,
} from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { presenceContent } from "../../presence/presence-presenter";
import { RateLimiter } from "../../presence/rate-limiter";
import type { AppDeps } from "../deps";
import { jsonObject, requireAuth } from "../request";

const PLAIN_STATES = ["online", "unavailable", "offline"];
/** The furthest end a choice may have: a year. */
const MAX_EXPIRY_MS = 366 * 24 * 3_600_000;

/** `io.axon.expires_at`: absent or null means no end; otherwise an integer time in the future, within a year. */
function parseExpiry(raw: unknown, now: number): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw)) throw invalidParam(`'${EXPIRES_AT_FIELD}' must be an integer time in ms since the epoch.`);
  if (raw <= now) throw invalidParam(`'${EXPIRES_AT_FIELD}' is in the past.`);
  if (raw > now + MAX_EXPIRY_MS) throw invalidParam(`'${EXPIRES_AT_FIELD}' is more than a year ahead.`);
  return raw;
}

function targetUser(req: FastifyRequest): UserId {
  const userId = parseUserId((req.params as { userId: string }).userId);
  // Same answer as for a user one may not see: no way to probe which ids exist.
  if (!userId) throw forbidden("You are not allowed to see this user's presence.");
  return userId;
}

export const presenceRoutes =
  ({ accounts, presence, config, clock }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const limits = new RateLimiter(config.rate_limits.presence.per_second, config.rate_limits.presence.burst);
    const busyEnabled = config.presence.busy_presence;
    const allowed = busyEnabled ? [...PLAIN_STATES, ...BUSY_SPELLINGS] : PLAIN_STATES;

    // PUT /presence/{userId}/status
    app.put("/presence/:userId/status", async (req) => {
      const who = await requireAuth(req, accounts);
      if (targetUser(req) !== who.userId) throw forbidden("You may only set your own presence.");
      const body = jsonObject(req);
      if (body.presence === undefined) throw missingParam("Missing 'presence'.");
      const state = parsePresenceState(body.presence);
      if (state === null) throw invalidParam(`Invalid 'presence': expected one of ${allowed.join(", ")}.`);
      if (state === "busy" && !busyEnabled) {
        throw invalidParam("Busy presence is not enabled on this server; use online, unavailable or offline.");
      }
      const msg = body.status_msg;
      if (msg !== undefined && msg !== null && typeof msg !== "string") throw invalidParam("'status_msg' must be a string.");
      if (typeof msg === "string" && [...msg].length > config.presence.max_status_length) {
        throw invalidParam(`'status_msg' is longer than ${config.presence.max_status_length} characters.`);
      }
      const expiresAt = config.presence.status_expiry ? parseExpiry(body[EXPIRES_AT_FIELD], clock.now()) : null;
      if (!presence.enabled) return {};
      const wait = limits.take(who.userId, clock.now());
      if (wait > 0) throw limitExceeded(wait);
      await presence.setPresence(who.userId, who.deviceId, state, msg ? msg : null, expiresAt);
      return {};
    });

    // GET /presence/{userId}/status
    app.get("/presence/:userId/status", async (req) => {
      const who = await requireAuth(req, accounts);
      const target = targetUser(req);
      if (!presence.enabled) return { presence: "offline" };
      // view() refuses anyone who shares no room with the viewer, which covers users that do not exist.
      return presenceContent(presence.view(who.userId, target), clock.now());
    });
  };
