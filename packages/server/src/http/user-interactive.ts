import { MatrixError, parseUserId, userIdOf, type UserId } from "@axon/protocol";
import { randomBytes } from "node:crypto";
import type { AccountService } from "../accounts/account-service";

/**
 * User-interactive auth with one stage, m.login.password, for the requester's own account. It keeps
 * no state: a single stage needs none, so every process answers alike; the session id is only echoed.
 */
export async function requirePassword(accounts: AccountService, userId: UserId, auth: unknown): Promise<void> {
  const a = (typeof auth === "object" && auth !== null ? auth : {}) as Record<string, unknown>;
  const session = typeof a.session === "string" && a.session.length <= 255 ? a.session : randomBytes(12).toString("base64url");
  if (a.type !== "m.login.password") throw challenge(session, null);
  const identifier = (typeof a.identifier === "object" && a.identifier !== null ? a.identifier : {}) as Record<string, unknown>;
  const raw = typeof identifier.user === "string" ? identifier.user : typeof a.user === "string" ? a.user : null;
  const named = raw === null ? userId : raw.startsWith("@") ? parseUserId(raw) : userIdOf(raw.toLowerCase(), accounts.serverName);
  if (named !== userId || typeof a.password !== "string") throw challenge(session, "The password is not that of this account.");
  try {
    await accounts.checkPassword(userId, a.password);
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === "M_FORBIDDEN") throw challenge(session, "Invalid password.");
    throw err;
  }
}

/** The 401 that starts (or, with a message, repeats after a failed attempt) the flow. */
function challenge(session: string, failure: string | null): MatrixError {
  const extra = { flows: [{ stages: ["m.login.password"] }], params: {}, session };
  return new MatrixError(401, failure === null ? "M_UNAUTHORIZED" : "M_FORBIDDEN", failure ?? "Confirm with your password.", extra);
}
