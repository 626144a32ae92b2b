import type { PresenceHooks } from "../presence/presence-hooks";

/** The default until presence is wired in: every hook does nothing. */
export const noPresenceHooks: PresenceHooks = {
  syncStarted() {},
  syncEnded() {},
  activity() {},
  eventPersisted() {},
};
