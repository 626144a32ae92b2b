import { createPublicKey, verify } from "node:crypto";

/** The spec's canonical JSON: keys sorted by code point, no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** Unpadded standard base64 → bytes; null when it is not base64 of the given length. */
export function unpaddedBase64(raw: string, length: number): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(raw)) return null;
  const bytes = Buffer.from(raw, "base64");
  return bytes.length === length ? bytes : null;
}

/**
 * Whether `signed.signatures[userId][keyId]` is a valid ed25519 signature of the object (without
 * `signatures` and `unsigned`) by `publicKey` (unpadded base64).
 */
export function verifySigned(signed: Record<string, unknown>, userId: string, keyId: string, publicKey: string): boolean {
  const sigs = signed.signatures as Record<string, Record<string, unknown>> | undefined;
  const sig = sigs?.[userId]?.[keyId];
  if (typeof sig !== "string") return false;
  const sigBytes = unpaddedBase64(sig, 64);
  const keyBytes = unpaddedBase64(publicKey, 32);
  if (!sigBytes || !keyBytes) return false;
  const { signatures: _s, unsigned: _u, ...rest } = signed;
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: keyBytes.toString("base64url") }, format: "jwk" });
  return verify(null, Buffer.from(canonicalJson(rest)), key, sigBytes);
}
