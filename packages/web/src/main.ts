import "./style.css";
import { AxonClient } from "@axon/sdk";
import { topBar } from "./dom";
import { loadSession, saveSession } from "./session-store";
import { signedInView } from "./signed-in";
import { signInView } from "./sign-in";

/**
 * The Axon web page: sign in, set your status, see your people live. It speaks only the
 * Client-Server API (through @axon/sdk), so it works pointed at any homeserver.
 */
const root = document.getElementById("app") ?? document.body;

function showSignIn(notice?: string): void {
  document.title = "Axon · Sign in";
  const view = signInView({
    homeserver: location.origin,
    notice,
    onSignedIn(client) {
      saveSession(client.session);
      showSignedIn(client);
      root.querySelector<HTMLElement>("main")?.focus();
    },
  });
  root.replaceChildren(topBar(), view);
  view.querySelector<HTMLInputElement>("#username")?.focus();
}

function showSignedIn(client: AxonClient): void {
  root.replaceChildren(...signedInView({ client, onSignedOut: showSignIn }));
}

const session = loadSession();
if (session) showSignedIn(new AxonClient(session));
else showSignIn();
