// @axon/sdk/js-sdk: MSC3026 busy for apps built on matrix-js-sdk (tested with 37.5.0).
// Everything goes through the client's own authed HTTP; the client's sync-driven presence is left alone.
import { ClientEvent, Method, SyncState, type MatrixClient, type MatrixEvent } from "matrix-js-sdk";
import { AutoBusy, type AutoBusyOptions, type OwnPresence, type PresenceAccess } from "./auto-busy";
import { RTC_MEMBER_TYPES } from "@axon/protocol";
import { presenceInfo, type PresenceInfo, type SetPresenceResult } from "./client";
import { BUSY_FLAG, parsePresence, toWirePresence, type PresenceState } from "./presence";
import type { JoinedRoomSync, MatrixEvent as WireEvent, SyncResponse } from "./types";

const enc = encodeURIComponent;

function ownId(client: MatrixClient): string {
  const id = client.getUserId();
  if (!id) throw new Error("the matrix-js-sdk client is not logged in");
  return id;
}

/** MSC3026's rule: busy only when `/versions` lists `org.matrix.msc3026.busy_presence: true`. */
export async function supportsBusy(client: MatrixClient): Promise<boolean> {
  const versions = await client.getVersions();
  return versions.unstable_features?.[BUSY_FLAG] === true;
}

async function putPresence(client: MatrixClient, state: PresenceState, statusMsg: string | null | undefined): Promise<SetPresenceResult> {
  const fallback = state === "busy" && !(await supportsBusy(client));
  const applied: PresenceState = fallback ? "unavailable" : state;
  const body: Record<string, unknown> = { presence: toWirePresence(applied) };
  if (statusMsg !== undefined) body.status_msg = statusMsg ?? "";
  await client.http.authedRequest(Method.Put, `/presence/${enc(ownId(client))}/status`, undefined, body);
  return { requested: state, applied, fallback, statusMsg: statusMsg ? statusMsg : null, until: null, untilUnsupported: false };
}

/** Sets busy (or `unavailable` on a server without busy), with an optional status message. */
export function setBusy(client: MatrixClient, statusMsg?: string): Promise<SetPresenceResult> {
  return putPresence(client, "busy", statusMsg);
}

/** Ends busy: back to online; the status message is cleared unless one is given. */
export function clearBusy(client: MatrixClient, statusMsg?: string): Promise<SetPresenceResult> {
  return putPresence(client, "online", statusMsg ?? "");
}

/**
 * A user's presence as the client's sync saw it, with every spelling of busy read as busy; null when
 * unknown. Read from the latest presence event itself: the client's User keeps an old status message
 * when a later event clears it.
 */
export function presenceOf(client: MatrixClient, userId: string): PresenceInfo | null {
  const event = client.getUser(userId)?.events.presence;
  if (!event) return null;
  return presenceInfo(userId, event.getContent());
}

function accessOf(client: MatrixClient): PresenceAccess {
  const userId = ownId(client);
  const dataPath = (type: string) => `/user/${enc(userId)}/account_data/${enc(type)}`;
  return {
    userId,
    getOwnPresence: async (): Promise<OwnPresence> => {
      const res = await client.http.authedRequest<Record<string, unknown>>(Method.Get, `/presence/${enc(userId)}/status`);
      return { state: parsePresence(res.presence), statusMsg: typeof res.status_msg === "string" && res.status_msg ? res.status_msg : null };
    },
    setOwnPresence: async (state, statusMsg) => (await putPresence(client, state, statusMsg ?? "")).applied,
    getAccountData: async (type) => {
      try {
        return await client.http.authedRequest<Record<string, unknown>>(Method.Get, dataPath(type));
      } catch (err) {
        if ((err as { errcode?: string }).errcode === "M_NOT_FOUND") return null;
        throw err;
      }
    },
    setAccountData: async (type, content) => {
      await client.http.authedRequest(Method.Put, dataPath(type), undefined, content);
    },
  };
}

/** One event as a one-event sync response, for AutoBusy. */
function asSync(events: MatrixEvent[]): SyncResponse {
  const join: Record<string, JoinedRoomSync> = {};
  const presence: WireEvent[] = [];
  for (const ev of events) {
    const wire = ev.getEffectiveEvent() as unknown as WireEvent & { room_id?: string };
    if (ev.getType() === "m.presence") presence.push({ ...wire, sender: ev.getSender() ?? wire.sender });
    const roomId = ev.getRoomId();
    if (!roomId) continue;
    const room = (join[roomId] ??= { timeline: { events: [] } });
    room.timeline?.events?.push(wire);
  }
  return { next_batch: "", presence: { events: presence }, rooms: { join } };
}

/** The call memberships in the rooms' current state: what is live when AutoBusy starts. */
function currentCalls(client: MatrixClient): MatrixEvent[] {
  const out: MatrixEvent[] = [];
  for (const room of client.getRooms()) {
    for (const type of RTC_MEMBER_TYPES) out.push(...room.currentState.getStateEvents(type));
  }
  return out;
}

/**
 * Busy during calls for a matrix-js-sdk client, fed by the client's own sync: MatrixRTC memberships,
 * 1:1 calls, and `enterCall`/`leaveCall` from the app. Restores the earlier state when the last call
 * ends, unless the user chose meanwhile; crash-safe through account data.
 */
export function autoBusy(client: MatrixClient, opts: AutoBusyOptions = {}): AutoBusy {
  const busy = new AutoBusy(accessOf(client), opts);
  void busy.start().catch(() => {});
  busy.feedFrom((listener) => {
    let ready = false;
    const begin = () => {
      ready = true;
      listener(asSync(currentCalls(client)), true);
    };
    const onSync = (state: SyncState) => {
      if (!ready && (state === SyncState.Prepared || state === SyncState.Syncing)) begin();
    };
    const onEvent = (ev: MatrixEvent) => {
      if (ready) listener(asSync([ev]), false);
    };
    client.on(ClientEvent.Sync, onSync);
    client.on(ClientEvent.Event, onEvent);
    if (client.isInitialSyncComplete()) begin();
    return () => {
      client.off(ClientEvent.Sync, onSync);
      client.off(ClientEvent.Event, onEvent);
    };
  });
  return busy;
}
