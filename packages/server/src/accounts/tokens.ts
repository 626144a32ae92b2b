import { createHash, randomBytes } from "node:crypto";

/** 256 random bits; only their hash is stored. */
export function newAccessToken(): string {
  return `axo_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Device ids we mint: ten upper-case letters, as other servers do. */
export function newDeviceId(): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const bytes = randomBytes(10);
  let id = "";
  for (const b of bytes) id += letters[b % 26];
  return id;
}
