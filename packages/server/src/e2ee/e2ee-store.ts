import type { DeviceId, UserId } from "@axon/protocol";

export type JsonObject = Record<string, unknown>;

/** A one-time or fallback key: `algorithm:keyId` on the wire, its value (a signed object or a bare key). */
export interface KeyEntry {
  algorithm: string;
  keyId: string;
  key: unknown;
}

export interface KeyCounts {
  /** Unclaimed one-time keys per algorithm. */
  oneTimeKeys: Record<string, number>;
  /** Algorithms with a fallback key not yet handed out. */
  unusedFallback: string[];
}

/** One row of a device-list change: `observer`'s /sync reports `subject` as changed (or left). */
export interface DeviceListRow {
  observer: UserId;
  subject: UserId;
  changed: boolean;
}

/** A device-list change to write in the same transaction as the key change that caused it. */
export interface ListChange {
  position: number;
  rows: DeviceListRow[];
}

export type CrossSigningType = "master" | "self_signing" | "user_signing";

export interface SignatureRow {
  targetUserId: UserId;
  /** A device id, or a cross-signing public key (unpadded base64). */
  targetKeyId: string;
  signerUserId: UserId;
  /** e.g. ed25519:DEVICE or ed25519:<self-signing public key> */
  signerKeyId: string;
  signature: string;
}

/** Storage port for keys. Every write that changes what others see carries its device-list rows. */
export interface E2eeKeyStore {
  getDeviceKeys(userId: UserId, deviceId: DeviceId): Promise<JsonObject | null>;
  /** Device keys of the user's devices (all when `deviceIds` is null). */
  queryDeviceKeys(userId: UserId, deviceIds: DeviceId[] | null): Promise<Map<DeviceId, JsonObject>>;
  /** The stored values of those one-time keys that exist already, by `algorithm:keyId`. */
  existingOneTimeKeys(userId: UserId, deviceId: DeviceId, keys: KeyEntry[]): Promise<Map<string, unknown>>;
  upload(u: { userId: UserId; deviceId: DeviceId; deviceKeys: JsonObject | null; oneTimeKeys: KeyEntry[]; fallbackKeys: KeyEntry[]; change: ListChange | null }): Promise<void>;
  counts(userId: UserId, deviceId: DeviceId): Promise<KeyCounts>;
  /** Takes one one-time key for good (never the same twice, whoever else claims meanwhile), else the fallback key. */
  claim(userId: UserId, deviceId: DeviceId, algorithm: string): Promise<KeyEntry | null>;
  crossSigningKeys(userId: UserId): Promise<Map<CrossSigningType, JsonObject>>;
  putCrossSigningKeys(userId: UserId, keys: Map<CrossSigningType, JsonObject>, change: ListChange): Promise<void>;
  signaturesOf(targetUserId: UserId): Promise<SignatureRow[]>;
  putSignatures(rows: SignatureRow[], change: ListChange): Promise<void>;
  /** The devices' keys, one-time and fallback keys, signatures and pending to-device messages go. */
  deleteDevices(userId: UserId, deviceIds: DeviceId[], change: ListChange): Promise<void>;
}

export interface DeviceListStore {
  maxPosition(): Promise<number>;
  add(change: ListChange): Promise<void>;
  /** Rows for the observer in (from, to], oldest first. */
  since(observer: UserId, from: number, to: number): Promise<{ subject: UserId; changed: boolean }[]>;
}

export interface ToDeviceMessage {
  position: number;
  sender: UserId;
  type: string;
  content: JsonObject;
}

export interface ToDeviceStore {
  maxPosition(): Promise<number>;
  /** Stores the messages and the transaction id together; false (nothing stored) when the transaction id was seen. */
  send(
    txn: { sender: UserId; senderDevice: DeviceId; txnId: string; ts: number },
    messages: { userId: UserId; deviceId: DeviceId; type: string; content: JsonObject }[],
    position: number,
  ): Promise<boolean>;
  /** The device's messages in (after, upTo], oldest first (after null: all up to upTo). */
  pending(userId: UserId, deviceId: DeviceId, after: number | null, upTo: number): Promise<ToDeviceMessage[]>;
  /** Deletes the device's messages at or below the position: the device has them. */
  acknowledge(userId: UserId, deviceId: DeviceId, upTo: number): Promise<void>;
}
