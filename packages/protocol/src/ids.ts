/** Matrix identifiers, parsed once at the edge into branded strings. */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, "UserId">;
export type RoomId = Brand<string, "RoomId">;
export type EventId = Brand<string, "EventId">;
export type DeviceId = Brand<string, "DeviceId">;
export type RoomAlias = Brand<string, "RoomAlias">;

/** Localparts we create: the spec's historical-safe set, lower case. */
const LOCALPART_RE = /^[a-z0-9._=\-/+]+$/;
const SERVER_NAME_RE = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(:\d{1,5})?$/;

export function isValidLocalpart(localpart: string): boolean {
  return localpart.length > 0 && localpart.length <= 200 && LOCALPART_RE.test(localpart);
}

export function isValidServerName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && SERVER_NAME_RE.test(name);
}

/** Parses `@local:server`; returns null when it is not a user id (lenient on the localpart, as the spec allows for existing ids). */
export function parseUserId(raw: string): UserId | null {
  if (raw.length > 255 || !raw.startsWith("@")) return null;
  const colon = raw.indexOf(":");
  if (colon < 2) return null;
  const local = raw.slice(1, colon);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20:]/.test(local)) return null;
  if (!isValidServerName(raw.slice(colon + 1))) return null;
  return raw as UserId;
}

export function userIdOf(localpart: string, serverName: string): UserId {
  return `@${localpart}:${serverName}` as UserId;
}

export function localpartOf(userId: UserId): string {
  return userId.slice(1, userId.indexOf(":"));
}

export function serverOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

function parseSigilId<T extends string>(raw: string, sigil: string): T | null {
  if (raw.length > 255 || !raw.startsWith(sigil)) return null;
  const colon = raw.indexOf(":");
  if (colon < 2 || !isValidServerName(raw.slice(colon + 1))) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20]/.test(raw)) return null;
  return raw as T;
}

export const parseRoomId = (raw: string) => parseSigilId<RoomId>(raw, "!");
export const parseRoomAlias = (raw: string) => parseSigilId<RoomAlias>(raw, "#");

export function parseEventId(raw: string): EventId | null {
  // eslint-disable-next-line no-control-regex
  if (raw.length < 2 || raw.length > 255 || !raw.startsWith("$") || /[\x00-\x20]/.test(raw)) return null;
  return raw as EventId;
}

/** Device ids are opaque; we only refuse ones that cannot be stored or echoed safely. */
export function parseDeviceId(raw: string): DeviceId | null {
  // eslint-disable-next-line no-control-regex
  if (raw.length === 0 || raw.length > 255 || /[\x00-\x1f]/.test(raw)) return null;
  return raw as DeviceId;
}
