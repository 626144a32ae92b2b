import { AutoBusy, type AutoBusyOptions, type PresenceAccess } from "./auto-busy";
import type { AxonClient } from "./client";
import type { SyncLoop } from "./sync-loop";

/** AutoBusy's view of an AxonClient. */
export function presenceAccessOf(client: AxonClient): PresenceAccess {
  return {
    userId: client.userId,
    getOwnPresence: async () => {
      const p = await client.getPresence();
      return { state: p.state, statusMsg: p.statusMsg };
    },
    setOwnPresence: async (state, statusMsg) => (await client.setPresence(state, { statusMsg: statusMsg ?? "" })).applied,
    getAccountData: (type) => client.getAccountData(type),
    setAccountData: (type, content) => client.setAccountData(type, content),
  };
}

/**
 * Busy during calls for an AxonClient, fed by its sync loop. Call it before `loop.start()` so the first
 * sync (which says which calls are still live after a crash) reaches it.
 */
export function autoBusy(client: AxonClient, loop: SyncLoop, opts: AutoBusyOptions = {}): AutoBusy {
  const busy = new AutoBusy(presenceAccessOf(client), { clock: client.clock, ...opts });
  void busy.start().catch(() => {});
  busy.feedFrom((listener) => loop.on("sync", (res, info) => listener(res, info.initial)));
  return busy;
}
