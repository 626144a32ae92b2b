import { invalidParam, MatrixError, parseUserId, type UserId } from "@axon/protocol";
import { isDeepStrictEqual } from "node:util";
import type { DeviceLists } from "./device-lists";
import type { CrossSigningType, E2eeKeyStore, JsonObject, SignatureRow } from "./e2ee-store";
import { verifySigned } from "./signing";

/** What /keys/query needs from cross-signing. */
export interface CrossSigningView {
  /** device id → signer key id → signature, uploaded by the user's self-signing key. */
  deviceSignatures(userId: UserId): Promise<Map<string, Record<string, string>>>;
  /** Adds the user's master and self-signing keys (and user-signing key for themself) to `out`. */
  addToQuery(requester: UserId, userId: UserId, out: Record<string, Record<string, Record<string, unknown>>>): Promise<void>;
}

const TYPES: { field: string; type: CrossSigningType; usage: string }[] = [
  { field: "master_key", type: "master", usage: "master" },
  { field: "self_signing_key", type: "self_signing", usage: "self_signing" },
  { field: "user_signing_key", type: "user_signing", usage: "user_signing" },
];

/** The one ed25519 public key of a cross-signing key, or 400. */
export function publicKeyOf(key: JsonObject, what: string): string {
  const keys = key.keys;
  const entries = typeof keys === "object" && keys !== null ? Object.entries(keys as Record<string, unknown>) : [];
  const [only] = entries;
  if (entries.length !== 1 || !only || typeof only[1] !== "string" || only[0] !== `ed25519:${only[1]}`) {
    throw invalidParam(`${what}.keys must hold exactly one ed25519 key, named by itself.`);
  }
  return only[1];
}

/** Cross-signing keys (POST /keys/device_signing/upload) and signatures (POST /keys/signatures/upload). */
export class CrossSigningService implements CrossSigningView {
  constructor(
    private readonly store: E2eeKeyStore,
    private readonly lists: DeviceLists,
  ) {}

  /**
   * Checks an upload; returns whether it needs user-interactive auth (it replaces an existing master
   * key, MSC3967) and a function that stores it.
   */
  async prepareUpload(userId: UserId, body: JsonObject): Promise<{ needsAuth: boolean; commit: () => Promise<void> }> {
    const stored = await this.store.crossSigningKeys(userId);
    const next = new Map<CrossSigningType, JsonObject>();
    for (const { field, type, usage } of TYPES) {
      const key = body[field];
      if (key === undefined) continue;
      if (typeof key !== "object" || key === null || Array.isArray(key)) throw new MatrixError(400, "M_BAD_JSON", `'${field}' must be an object.`);
      const k = key as JsonObject;
      if (k.user_id !== userId) throw invalidParam(`${field}.user_id is not yours.`);
      if (!Array.isArray(k.usage) || !k.usage.includes(usage)) throw invalidParam(`${field}.usage must include ${usage}.`);
      publicKeyOf(k, field);
      next.set(type, k);
    }
    const master = next.get("master") ?? stored.get("master");
    for (const type of ["self_signing", "user_signing"] as const) {
      const k = next.get(type);
      if (!k) continue;
      if (!master) throw invalidParam(`A ${type} key needs a master key.`);
      const pub = publicKeyOf(master, "master_key");
      if (!verifySigned(k, userId, `ed25519:${pub}`, pub)) throw invalidParam(`The ${type} key is not signed by the master key.`);
    }
    const changed = [...next].filter(([type, k]) => !isDeepStrictEqual(stored.get(type), k));
    const oldMaster = stored.get("master");
    return {
      needsAuth: oldMaster !== undefined && changed.length > 0,
      commit: async () => {
        if (changed.length === 0) return;
        await this.lists.keysChanged([userId], (change) => this.store.putCrossSigningKeys(userId, new Map(changed), change));
      },
    };
  }

  /** Stores each valid signature; the others are failures by user and key id. */
  async uploadSignatures(requester: UserId, body: JsonObject): Promise<{ failures: Record<string, Record<string, JsonObject>> }> {
    const failures: Record<string, Record<string, JsonObject>> = {};
    const own = await this.store.crossSigningKeys(requester);
    const rows: SignatureRow[] = [];
    const fail = (user: string, keyId: string, errcode: string, error: string) => ((failures[user] ??= {})[keyId] = { errcode, error });
    for (const [rawUser, byKey] of Object.entries(body)) {
      const target = parseUserId(rawUser);
      if (!target || typeof byKey !== "object" || byKey === null) throw invalidParam(`'${rawUser}' is not a user id with keys.`);
      const theirs = target === requester ? own : await this.store.crossSigningKeys(target);
      const theirMaster = theirs.get("master");
      for (const [keyId, signed] of Object.entries(byKey as Record<string, unknown>)) {
        if (typeof signed !== "object" || signed === null) throw invalidParam(`${rawUser}.${keyId} must be an object.`);
        const s = signed as JsonObject;
        const isMaster = theirMaster !== undefined && publicKeyOf(theirMaster, "master") === keyId;
        const stored = isMaster ? theirMaster : target === requester ? await this.store.getDeviceKeys(target, keyId as never) : null;
        if (!stored) {
          fail(rawUser, keyId, "M_NOT_FOUND", "No such key.");
          continue;
        }
        const { signatures: _a, unsigned: _b, ...bare } = s;
        const { signatures: _c, unsigned: _d, ...storedBare } = stored;
        if (!isDeepStrictEqual(bare, storedBare)) {
          fail(rawUser, keyId, "M_INVALID_SIGNATURE", "The signed object is not the stored key.");
          continue;
        }
        const found = await this.validSignatures(requester, target, isMaster, s, own);
        if (found.length === 0) fail(rawUser, keyId, "M_INVALID_SIGNATURE", "No valid signature by a key that may sign this.");
        for (const f of found) rows.push({ targetUserId: target, targetKeyId: keyId, signerUserId: requester, signerKeyId: f.keyId, signature: f.sig });
      }
    }
    if (rows.length > 0) {
      const subjects = [...new Set(rows.map((r) => r.targetUserId))];
      await this.lists.keysChanged(subjects, (change) => this.store.putSignatures(rows, change));
    }
    return { failures };
  }

  /** Signatures by the key allowed to sign this target: own device ← self-signing; own master ← own device; another's master ← user-signing. */
  private async validSignatures(requester: UserId, target: UserId, isMaster: boolean, s: JsonObject, own: Map<CrossSigningType, JsonObject>): Promise<{ keyId: string; sig: string }[]> {
    const mine = ((s.signatures as Record<string, Record<string, unknown>> | undefined)?.[requester] ?? {}) as Record<string, unknown>;
    const out: { keyId: string; sig: string }[] = [];
    for (const [signerKeyId, sig] of Object.entries(mine)) {
      if (typeof sig !== "string" || !signerKeyId.startsWith("ed25519:")) continue;
      const name = signerKeyId.slice("ed25519:".length);
      let pub: string | null = null;
      if (target !== requester || !isMaster) {
        const signer = own.get(target !== requester ? "user_signing" : "self_signing");
        if (signer && publicKeyOf(signer, "signer") === name) pub = name;
      } else {
        const device = await this.store.getDeviceKeys(requester, name as never);
        const k = (device?.keys as Record<string, unknown> | undefined)?.[signerKeyId];
        if (typeof k === "string") pub = k;
      }
      if (pub !== null && verifySigned(s, requester, signerKeyId, pub)) out.push({ keyId: signerKeyId, sig });
    }
    return out;
  }

  async deviceSignatures(userId: UserId): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (const r of await this.store.signaturesOf(userId)) {
      if (r.signerUserId !== userId) continue;
      const entry = out.get(r.targetKeyId) ?? {};
      entry[r.signerKeyId] = r.signature;
      out.set(r.targetKeyId, entry);
    }
    return out;
  }

  async addToQuery(requester: UserId, userId: UserId, out: Record<string, Record<string, Record<string, unknown>>>): Promise<void> {
    const keys = await this.store.crossSigningKeys(userId);
    if (keys.size === 0) return;
    const sigs = await this.store.signaturesOf(userId);
    const master = keys.get("master");
    if (master) {
      const pub = publicKeyOf(master, "master");
      const merged = { ...((master.signatures ?? {}) as Record<string, Record<string, string>>) };
      for (const r of sigs) {
        if (r.targetKeyId !== pub || (r.signerUserId !== userId && r.signerUserId !== requester)) continue;
        merged[r.signerUserId] = { ...(merged[r.signerUserId] ?? {}), [r.signerKeyId]: r.signature };
      }
      out.master_keys![userId] = { ...master, signatures: merged };
    }
    const ssk = keys.get("self_signing");
    if (ssk) out.self_signing_keys![userId] = ssk;
    const usk = keys.get("user_signing");
    if (usk && requester === userId) out.user_signing_keys![userId] = usk;
  }
}
