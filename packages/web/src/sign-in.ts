import { AxonClient } from "@axon/sdk";
import { field, h } from "./dom";
import { homeserverUrl, signInError } from "./messages";

export interface SignInOptions {
  /** Pre-filled homeserver: the page's own origin. */
  homeserver: string;
  /** A message to show at once (e.g. why you were signed out). */
  notice?: string;
  onSignedIn(client: AxonClient): void;
}

/** The sign-in form: homeserver, username, password; failures in words beside it. */
export function signInView(opts: SignInOptions): HTMLElement {
  const hs = field("homeserver", "Homeserver", { value: opts.homeserver, inputmode: "url", autocomplete: "url", spellcheck: "false", required: true });
  const user = field("username", "Username", { autocomplete: "username", autocapitalize: "none", spellcheck: "false", required: true });
  const pass = field("password", "Password", { type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert" });
  const notice = h("p", { class: "notice" }, opts.notice ?? "");
  notice.hidden = !opts.notice;

  const form = h("form", { class: "card sign-in", "aria-labelledby": "sign-in-title", novalidate: true }, h("h2", { id: "sign-in-title" }, "Sign in"), notice, hs.wrap, user.wrap, pass.wrap, button, error);

  const showError = (text: string, input?: HTMLInputElement) => {
    error.textContent = text;
    for (const i of [hs.input, user.input, pass.input]) {
      i.removeAttribute("aria-invalid");
      i.removeAttribute("aria-describedby");
    }
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", error.id);
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    notice.hidden = true;
    const url = homeserverUrl(hs.input.value);
    if (url === null) return showError(`“${hs.input.value.trim()}” is not a homeserver address.`, hs.input);
    if (user.input.value.trim() === "") return showError("Enter your username.", user.input);
    if (pass.input.value === "") return showError("Enter your password.", pass.input);
    showError("");
    button.disabled = true;
    button.textContent = "Signing in…";
    AxonClient.login(url, user.input.value.trim(), pass.input.value, { deviceName: "Axon web page" }).then(
      (client) => opts.onSignedIn(client),
      (err: unknown) => {
        button.disabled = false;
        button.textContent = "Sign in";
        const { message, field: blamed } = signInError(err, url);
        showError(message, blamed === "password" ? pass.input : blamed === "homeserver" ? hs.input : undefined);
        pass.input.select();
      },
    );
  });
  return h("main", { class: "signed-out" }, form);
}
