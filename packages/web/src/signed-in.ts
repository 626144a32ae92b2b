import { isMatrixError, type AxonClient, type PresenceState, type SyncStatus } from "@axon/sdk";
import { connectionBanner } from "./connection-banner";
import { Connection, implicitFor } from "./connection";
import { h, topBar } from "./dom";
import { requestError } from "./messages";
import { peopleList } from "./people-list";
import { clearSession, loadChosen, saveChosen } from "./session-store";
import { statusPanel } from "./status-panel";

export interface SignedInOptions {
  client: AxonClient;
  /** Called once the session is over (Sign out, or the server ended it), with words for why. */
  onSignedOut(notice?: string): void;
}

/** The signed-in page: who you are and Sign out, the connection banner, your status, your people. */
export function signedInView({ client, onSignedOut }: SignedInOptions): HTMLElement[] {
  const url = client.session.homeserver;
  const conn = new Connection(client, implicitFor(loadChosen() ?? "online"));
  const banner = connectionBanner();
  const status = statusPanel({
    async choose(state: PresenceState, statusMsg: string | null, until: number | null) {
      // Busy on a server without it is sent as unavailable: then this device must say so too.
      const applied = state === "busy" && !(await client.supportsBusy()) ? "unavailable" : state;
      const result = await conn.withImplicit(implicitFor(applied), () => client.setPresence(state, { statusMsg, until }));
      saveChosen(result.applied);
      return result;
    },
    describe: (err) => requestError(err, url),
  });
  const people = peopleList(conn.people, conn.presence);
  const name = h("strong", { class: "own-name" }, client.userId);
  const signOut = h("button", { type: "button", class: "secondary" }, "Sign out");
  const main = h("main", { class: "signed-in", tabindex: "-1" }, banner.el, h("div", { class: "columns" }, status.el, people.el));

  let ended = false;
  /** Stops everything; logs the device out when asked to. Returns what to tell the person, if anything. */
  const end = async (logout: boolean, notice?: string) => {
    if (ended) return;
    ended = true;
    await conn.stop();
    people.dispose();
    banner.dispose();
    let told = notice;
    if (logout) {
      try {
        await client.logout();
      } catch (err) {
        // Already gone is as good as logged out; anything else leaves a device behind: say so.
        if (!isMatrixError(err, "M_UNKNOWN_TOKEN")) told = `Signed out on this page, but the server was not told: ${requestError(err, url)}`;
      }
    }
    clearSession();
    onSignedOut(told);
  };

  signOut.addEventListener("click", () => {
    signOut.disabled = true;
    signOut.textContent = "Signing out…";
    void end(true);
  });

  let last: SyncStatus["state"] = "stopped";
  conn.on("state", (s) => {
    banner.update(s);
    if (s.state === "error" && (isMatrixError(s.error, "M_UNKNOWN_TOKEN") || isMatrixError(s.error, "M_USER_DEACTIVATED"))) {
      void end(false, "Your session has ended: sign in again.");
    }
    // Back after a reconnect: the server may have changed, busy with it (the loop asked again).
    if (s.state === "syncing" && last === "catchup") client.supportsBusy().then(status.setBusySupported, () => {});
    last = s.state;
  });
  conn.presence.on("change", (entry) => {
    if (entry.userId === client.userId) status.show(entry);
  });

  // Your own state at once, before the first sync brings it.
  client.getPresence().then(
    (info) => {
      conn.presence.update(info);
      status.show(conn.presence.get(client.userId));
    },
    () => {},
  );
  client.supportsBusy().then(status.setBusySupported, () => {});
  client.getDisplayName().then(
    (n) => {
      if (n) {
        name.textContent = n;
        name.after(h("span", { class: "user-id" }, ` ${client.userId}`));
      }
    },
    () => {},
  );
  document.title = `Axon · ${client.userId}`;
  conn.start();
  return [topBar(h("span", { class: "who-am-i" }, "Signed in as ", name), signOut), main];
}
