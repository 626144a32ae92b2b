/**
 * The redaction algorithm (room versions 1–10, as far as it differs from 11 here, for the version
 * Axon creates): which content keys survive a redaction, per event type. Every other key goes.
 */
const KEPT_CONTENT: Readonly<Record<string, readonly string[]>> = {
  "m.room.member": ["membership", "join_authorised_via_users_server"],
  "m.room.create": ["creator"],
  "m.room.join_rules": ["join_rule", "allow"],
  "m.room.power_levels": ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"],
  "m.room.history_visibility": ["history_visibility"],
};

/** Room version 11 keeps the whole create event, `invite` in power levels and `redacts` in redactions. */
const KEPT_CONTENT_V11: Readonly<Record<string, readonly string[]>> = {
  ...KEPT_CONTENT,
  "m.room.power_levels": [...(KEPT_CONTENT["m.room.power_levels"] ?? []), "invite"],
  "m.room.redaction": ["redacts"],
};

/** The content an event of `type` keeps once redacted. */
export function redactedContent(type: string, content: Record<string, unknown>, roomVersion: string): Record<string, unknown> {
  const modern = Number(roomVersion) >= 11;
  if (modern && type === "m.room.create") return { ...content };
  const kept = (modern ? KEPT_CONTENT_V11 : KEPT_CONTENT)[type] ?? [];
  const out: Record<string, unknown> = {};
  for (const key of kept) if (key in content) out[key] = content[key];
  return out;
}

/** The event a redaction redacts (its `redacts`, kept in content on every room version here). */
export function redactsOf(e: { type: string; content: Record<string, unknown> }): string | null {
  if (e.type !== "m.room.redaction") return null;
  const r = e.content.redacts;
  return typeof r === "string" && r.length > 0 ? r : null;
}

export interface Relation {
  eventId: string;
  relType: string;
}

/** The `m.relates_to` of an event's content when it names an event and a relation type. */
export function relationOf(content: Record<string, unknown>): Relation | null {
  const r = content["m.relates_to"];
  if (typeof r !== "object" || r === null || Array.isArray(r)) return null;
  const { event_id: eventId, rel_type: relType } = r as Record<string, unknown>;
  if (typeof eventId !== "string" || typeof relType !== "string" || eventId.length === 0 || relType.length === 0) return null;
  return { eventId, relType };
}

/** The `redacted_because` a redacted event carries: the redaction in client form. */
export function redactedBecause(redaction: { event_id: string; room_id: string; sender: string; type: string; content: Record<string, unknown>; origin_server_ts: number }): Record<string, unknown> {
  return {
    event_id: redaction.event_id,
    room_id: redaction.room_id,
    sender: redaction.sender,
    type: redaction.type,
    content: redaction.content,
    redacts: redaction.content.redacts,
    origin_server_ts: redaction.origin_server_ts,
    unsigned: {},
  };
}
