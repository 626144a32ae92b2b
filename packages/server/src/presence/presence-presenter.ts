import { EXPIRES_AT_FIELD, toWirePresence, type PresenceContent } from "@axon/protocol";
import type { PresenceView } from "./presence-service";

/** Wire content: last_active_ago computed now (integer ms); currently_active only when online; no null status_msg. */
export function presenceContent(v: PresenceView, now: number): PresenceContent {
  const content: PresenceContent = { presence: toWirePresence(v.state) };
  if (v.lastActiveAt !== null) content.last_active_ago = Math.max(0, Math.round(now - v.lastActiveAt));
  if (v.state === "online") content.currently_active = v.currentlyActive;
  if (v.statusMsg) content.status_msg = v.statusMsg;
  if (v.expiresAt !== null) content[EXPIRES_AT_FIELD] = v.expiresAt;
  return content;
}

export function presenceEvent(v: PresenceView, now: number): { type: "m.presence"; sender: string; content: PresenceContent } {
  return { type: "m.presence", sender: v.userId, content: presenceContent(v, now) };
}
