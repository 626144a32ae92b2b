import { presenceLabel, type PresenceEntry, type PresenceState, type SetPresenceResult } from "@axon/sdk";
import { CLEAR_AFTER, clearAt, DEFAULT_CLEAR_AFTER, untilText, type ClearAfter } from "./clear-after";
import { field, h, replace } from "./dom";

/** The four choices, in the order they are offered. */
const CHOICES: readonly PresenceState[] = ["online", "busy", "unavailable", "offline"];

export const BUSY_FALLBACK_NOTICE = "This server has no busy state: choosing Busy makes you appear away.";

export interface StatusPanelOptions {
  /** Sends your choice; `statusMsg` null clears the message; `until` ends it by itself (null: never). */
  choose(state: PresenceState, statusMsg: string | null, until: number | null): Promise<SetPresenceResult>;
  /** Words for a failure. */
  describe(err: unknown): string;
  now?: () => number;
}

export interface StatusPanel {
  el: HTMLElement;
  /** Shows your presence as the server reports it (undefined: nothing known yet). */
  show(entry: PresenceEntry | undefined): void;
  setBusySupported(supported: boolean): void;
}

/** A coloured dot for a state; the state is always also written out beside it. */
export function dot(state: PresenceState | "unknown"): HTMLSpanElement {
  return h("span", { class: `dot dot-${state}`, "aria-hidden": "true" });
}

/** "Your status": what the server says you are, and the form to change it. */
export function statusPanel(opts: StatusPanelOptions): StatusPanel {
  const current = h("p", { class: "current", "aria-live": "polite" }, "Loading your status…");
  const radios = new Map<PresenceState, HTMLInputElement>();
  const choices = h("fieldset", { class: "choices" }, h("legend", {}, "Show me as"));
  for (const state of CHOICES) {
    const id = `presence-${state}`;
    const input = h("input", { type: "radio", name: "presence", id, value: state });
    radios.set(state, input);
    choices.append(h("div", { class: "choice" }, input, h("label", { for: id }, dot(state), presenceLabel(state))));
  }
  const notice = h("p", { id: "busy-notice", class: "notice" }, BUSY_FALLBACK_NOTICE);
  notice.hidden = true;
  const msg = field("status-message", "Status message", { maxlength: 1024, autocomplete: "off", placeholder: "What are you up to?" });
  const clearSelect = h("select", { id: "clear-after", name: "clear-after" });
  for (const c of CLEAR_AFTER) clearSelect.append(h("option", { value: c.value, selected: c.value === DEFAULT_CLEAR_AFTER }, c.label));
  const clear = h("div", { class: "field" }, h("label", { for: "clear-after" }, "Clear after"), clearSelect);
  const button = h("button", { type: "submit", class: "primary" }, "Set status");
  const result = h("p", { class: "form-result", role: "status" });
  const form = h("form", { class: "status-form" }, choices, notice, msg.wrap, clear, button, result);
  const now = opts.now ?? Date.now;
  const el = h("section", { class: "card status", "aria-labelledby": "status-title" }, h("h2", { id: "status-title" }, "Your status"), current, form);

  /** The form is left alone by updates from the server once you have started changing it. */
  let dirty = false;
  /** Your last choice, when the server applied something else for it (busy shown as away). */
  let fallback: SetPresenceResult | null = null;
  let last: PresenceEntry | undefined;
  form.addEventListener("input", () => (dirty = true));

  const fillForm = (entry: PresenceEntry | undefined) => {
    let state: PresenceState | "unknown" = entry?.state ?? "offline";
    if (fallback && state === fallback.applied) state = fallback.requested;
    for (const [s, input] of radios) input.checked = s === state;
    msg.input.value = entry?.statusMsg ?? "";
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const chosen = CHOICES.find((s) => radios.get(s)?.checked);
    if (!chosen) {
      result.className = "form-result error";
      result.textContent = "Choose Online, Busy, Away or Offline.";
      return;
    }
    button.disabled = true;
    result.className = "form-result";
    result.textContent = "Setting your status…";
    const text = msg.input.value.trim();
    const until = clearAt(clearSelect.value as ClearAfter, now());
    opts.choose(chosen, text === "" ? null : text, until).then(
      (res) => {
        button.disabled = false;
        dirty = false;
        fallback = res.fallback ? res : null;
        const ends = res.until !== null ? `, ${untilText(res.until, now())}` : "";
        const said = res.fallback ? `Status set${ends}: you appear away, as this server has no busy.` : `Status set${ends}.`;
        result.textContent = res.untilUnsupported ? `${said} This server cannot clear it by itself.` : said;
      },
      (err: unknown) => {
        button.disabled = false;
        result.className = "form-result error";
        result.textContent = opts.describe(err);
      },
    );
  });

  return {
    el,
    show(entry) {
      last = entry;
      const state = entry?.state ?? "offline";
      replace(
        current,
        "You appear as ",
        dot(state),
        h("strong", { class: "state-text" }, presenceLabel(state)),
        entry?.statusMsg ? h("span", { class: "status-msg" }, ` “${entry.statusMsg}”`) : null,
        entry?.until != null ? h("span", { class: "until" }, ` ${untilText(entry.until, now())}`) : null,
      );
      // A change from elsewhere (another device, a call) ends what the last choice said.
      if (fallback && entry && entry.state !== fallback.applied) fallback = null;
      if (!dirty) fillForm(entry);
    },
    setBusySupported(supported) {
      notice.hidden = supported;
      const busy = radios.get("busy");
      if (supported) busy?.removeAttribute("aria-describedby");
      else busy?.setAttribute("aria-describedby", notice.id);
      if (!dirty) fillForm(last);
    },
  };
}
