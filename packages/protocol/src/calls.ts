/** MatrixRTC call memberships on the wire (MSC3401/MSC4143), read the same way by the server and the SDK. */

/** Membership state types: MSC3401's unstable name and the stable one. */
export const RTC_MEMBER_TYPES: readonly string[] = ["org.matrix.msc3401.call.member", "m.call.member"];
/** MSC4143's default lifetime of a membership that names none. */
const DEFAULT_RTC_LIFETIME_MS = 4 * 3_600_000;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * When a membership event says it ends, or null when it says the user left.
 * Two shapes are in use: the legacy one (`memberships: [...]`, each with `expires`/`expires_ts`)
 * and the per-device one (one membership in the content itself; `{}` means left).
 */
export function rtcMembershipEnd(content: Record<string, unknown>, originTs: number): number | null {
  if (Object.keys(content).length === 0) return null;
  if (Array.isArray(content.memberships)) {
    let end: number | null = null;
    for (const m of content.memberships as unknown[]) {
      if (typeof m !== "object" || m === null) continue;
      const r = m as Record<string, unknown>;
      const at = num(r.expires_ts) ?? (num(r.created_ts) ?? originTs) + (num(r.expires) ?? DEFAULT_RTC_LIFETIME_MS);
      end = end === null ? at : Math.max(end, at);
    }
    return end;
  }
  return num(content.expires_ts) ?? (num(content.created_ts) ?? originTs) + (num(content.expires) ?? DEFAULT_RTC_LIFETIME_MS);
}
