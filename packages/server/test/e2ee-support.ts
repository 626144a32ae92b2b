// Client-side key material for the encryption tests: ed25519 signing as a device does it.
import { generateKeyPairSync, sign } from "node:crypto";
import { canonicalJson } from "../src/e2ee/signing";
import type { TestUser } from "./support";

export interface TestSigner {
  /** The public key, unpadded base64. */
  pub: string;
  /** The object with `signatures[userId][keyId]` added (canonical JSON without signatures/unsigned). */
  sign<T extends Record<string, unknown>>(obj: T, userId: string, keyId: string): T & { signatures: Record<string, Record<string, string>> };
}

const b64 = (buf: Buffer) => buf.toString("base64").replace(/=+$/, "");

export function testSigner(): TestSigner {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = b64(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"));
  return {
    pub,
    sign(obj, userId, keyId) {
      const { signatures, unsigned: _u, ...rest } = obj as Record<string, unknown>;
      const sig = b64(sign(null, Buffer.from(canonicalJson(rest)), privateKey));
      const old = (signatures ?? {}) as Record<string, Record<string, string>>;
      return { ...obj, signatures: { ...old, [userId]: { ...(old[userId] ?? {}), [keyId]: sig } } };
    },
  };
}

/** A device's signing key and helpers to make its uploads. */
export function testDevice(user: TestUser) {
  const s = testSigner();
  const keyId = `ed25519:${user.deviceId}`;
  return {
    signer: s,
    deviceKeys: () =>
      s.sign(
        {
          user_id: user.userId,
          device_id: user.deviceId,
          algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
          keys: { [`curve25519:${user.deviceId}`]: b64(Buffer.alloc(32, 7)), [keyId]: s.pub },
        },
        user.userId,
        keyId,
      ),
    /** Signed curve25519 one-time keys, ids `prefix0..n-1`. */
    oneTimeKeys: (n: number, prefix = "K") => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[`signed_curve25519:${prefix}${i}`] = s.sign({ key: b64(Buffer.alloc(32, i + 1)) }, user.userId, keyId);
      return out;
    },
    fallbackKey: (id = "F1") => ({ [`signed_curve25519:${id}`]: s.sign({ key: b64(Buffer.alloc(32, 99)), fallback: true }, user.userId, keyId) }),
  };
}
