import { createHmac } from "node:crypto";

export interface TurnSettings {
  turn_uris: string[];
  turn_shared_secret?: string;
  /** Milliseconds. */
  turn_user_lifetime: number;
}

/**
 * TURN credentials by the TURN REST API scheme (coturn's `use-auth-secret`): the user name is the
 * expiry time in Unix seconds and the user id, the password the base64 HMAC-SHA1 of that name under
 * the shared secret, so the TURN server checks them without asking us. `{}` when not configured.
 */
export function turnCredentials(settings: TurnSettings, userId: string, now: number): Record<string, unknown> {
  const secret = settings.turn_shared_secret;
  if (!secret || settings.turn_uris.length === 0) return {};
  const ttl = Math.floor(settings.turn_user_lifetime / 1000);
  const username = `${Math.floor(now / 1000) + ttl}:${userId}`;
  const password = createHmac("sha1", secret).update(username).digest("base64");
  return { username, password, uris: settings.turn_uris, ttl };
}
