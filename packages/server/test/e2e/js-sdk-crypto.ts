// matrix-js-sdk 37.5.0 with its Rust crypto (the crypto Element uses), for the encryption tests.
import { LoggerLevel, Tracing } from "@matrix-org/matrix-sdk-crypto-wasm";
import { KnownMembership, type MatrixClient } from "matrix-js-sdk";
import { waitFor } from "./harness";
import { loginClient, startSyncing } from "./js-sdk-client";

/** Logs in (a new device), starts the Rust crypto with an in-memory store (no IndexedDB in Node), and syncs. */
export async function cryptoClient(baseUrl: string, user: string, password: string): Promise<MatrixClient> {
  const client = await loginClient(baseUrl, user, password);
  await client.initRustCrypto({ useIndexedDB: false });
  // The SDK turns the Rust side's tracing on at debug level on every init; keep test output readable.
  if (!process.env.AXON_E2E_LOG) new Tracing(LoggerLevel.Warn).turnOn();
  await startSyncing(client);
  return client;
}

/** Waits until the client's copy of the room shows the user joined. */
export async function waitForJoined(client: MatrixClient, roomId: string, userId: string): Promise<void> {
  await waitFor(() => client.getRoom(roomId)?.getMember(userId)?.membership === KnownMembership.Join, `${client.getUserId()} to see ${userId} joined ${roomId}`);
}

/** Waits until the client has the event and decrypted it; returns the clear body. */
export async function decryptedBody(client: MatrixClient, roomId: string, eventId: string, timeoutMs = 30_000): Promise<string> {
  let body: unknown;
  await waitFor(
    () => {
      const ev = client.getRoom(roomId)?.findEventById(eventId);
      if (!ev || ev.isBeingDecrypted() || ev.isDecryptionFailure() || ev.getType() !== "m.room.message") return false;
      body = ev.getContent().body;
      return true;
    },
    `${client.getUserId()}/${client.getDeviceId()} to decrypt ${eventId}`,
    timeoutMs,
  );
  return String(body);
}

/** Whether the client's event failed to decrypt once it arrived (it has no key for it). */
export async function undecryptable(client: MatrixClient, roomId: string, eventId: string): Promise<boolean> {
  await waitFor(() => {
    const ev = client.getRoom(roomId)?.findEventById(eventId);
    return !!ev && !ev.isBeingDecrypted() && (ev.isDecryptionFailure() || ev.getType() === "m.room.message");
  }, `${client.getUserId()}/${client.getDeviceId()} to get ${eventId}`);
  return client.getRoom(roomId)!.findEventById(eventId)!.isDecryptionFailure();
}

export const ENCRYPTION_STATE = { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } };
