import { invalidParam, MatrixError } from "@axon/protocol";

/** The spec's (v1.16) limit on a whole profile, JSON-encoded. */
export const MAX_PROFILE_BYTES = 64 * 1024;
/** The spec's (v1.16) limit on a key name, in bytes. */
export const MAX_KEY_BYTES = 255;
/** Axon's limits on the two historical fields (the same as their own endpoints). */
export const MAX_DISPLAYNAME_LENGTH = 256;
export const MAX_AVATAR_URL_LENGTH = 1024;

/** `avatar_url`, `displayname`, `m.tz`, or a Common Namespaced Identifier (the spec's pattern for keyName). */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

export const profileTooLarge = () =>
  new MatrixError(400, "M_PROFILE_TOO_LARGE", `The profile would exceed its maximum size of ${MAX_PROFILE_BYTES} bytes.`);
export const keyTooLarge = () => new MatrixError(400, "M_KEY_TOO_LARGE", `Profile keys are at most ${MAX_KEY_BYTES} bytes.`);

/** Throws M_KEY_TOO_LARGE or M_INVALID_PARAM for a key name the spec does not allow. */
export function checkKeyName(key: string): void {
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw keyTooLarge();
  if (!KEY_NAME.test(key)) throw invalidParam("Invalid profile key: use displayname, avatar_url, m.tz or a namespaced name such as org.example.field.");
}

/**
 * Checks a value for a key; throws M_INVALID_PARAM when the spec (or Axon's field limits) refuses
 * it. `displayname` and `avatar_url` may be null, which clears them (as on their own endpoints).
 */
export function checkValue(key: string, value: unknown): void {
  switch (key) {
    case "displayname":
      if (value !== null && (typeof value !== "string" || value.length > MAX_DISPLAYNAME_LENGTH)) {
        throw invalidParam(`displayname must be a string of at most ${MAX_DISPLAYNAME_LENGTH} characters.`);
      }
      return;
    case "avatar_url":
      if (value !== null && (typeof value !== "string" || value.length > MAX_AVATAR_URL_LENGTH || !MXC.test(value))) {
        throw invalidParam("avatar_url must be an mxc:// URI.");
      }
      return;
    case "m.tz":
      if (typeof value !== "string" || value.length === 0 || value.length > 255) throw invalidParam("m.tz must be a time zone name (a string).");
      return;
    default:
      // Custom keys take any JSON value (the body was JSON, so the value is).
      return;
  }
}

/** Bytes of a whole profile as JSON, as the 64 KiB limit counts it. */
export function profileBytes(profile: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(profile), "utf8");
}
