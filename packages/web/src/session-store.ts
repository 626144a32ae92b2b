import type { PresenceState, Session } from "@axon/sdk";

/** What a reload needs: the session (so you stay signed in) and your last chosen state. */
const SESSION_KEY = "axon.session";
const CHOSEN_KEY = "axon.chosen";

export function loadSession(storage: Storage = localStorage): Session | null {
  try {
    const v: unknown = JSON.parse(storage.getItem(SESSION_KEY) ?? "null");
    if (typeof v !== "object" || v === null) return null;
    const s = v as Record<string, unknown>;
    const keys = ["homeserver", "userId", "deviceId", "accessToken"] as const;
    if (!keys.every((k) => typeof s[k] === "string" && s[k] !== "")) return null;
    return { homeserver: s.homeserver as string, userId: s.userId as string, deviceId: s.deviceId as string, accessToken: s.accessToken as string };
  } catch {
    return null;
  }
}

export function saveSession(session: Session, storage: Storage = localStorage): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(SESSION_KEY);
  storage.removeItem(CHOSEN_KEY);
}

/** The state you last picked on this page: it decides what this device's syncs say about you. */
export function loadChosen(storage: Storage = localStorage): PresenceState | null {
  const v = storage.getItem(CHOSEN_KEY);
  return v === "online" || v === "busy" || v === "unavailable" || v === "offline" ? v : null;
}

export function saveChosen(state: PresenceState, storage: Storage = localStorage): void {
  storage.setItem(CHOSEN_KEY, state);
}
