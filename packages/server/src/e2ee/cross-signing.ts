import type { UserId } from "@axon/protocol";

/** What /keys/query needs from cross-signing. */
export interface CrossSigningView {
  /** device id → signer key id → signature, uploaded by the user's self-signing key. */
  deviceSignatures(userId: UserId): Promise<Map<string, Record<string, string>>>;
  /** Adds the user's master and self-signing keys (and user-signing key for themself) to `out`. */
  addToQuery(requester: UserId, userId: UserId, out: Record<string, Record<string, Record<string, unknown>>>): Promise<void>;
}
