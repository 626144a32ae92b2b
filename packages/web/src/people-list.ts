import { activeAgo, presenceLabel, type PeopleTracker, type Person, type PresenceEntry, type PresenceState, type PresenceTracker } from "@axon/sdk";
import { h, replace } from "./dom";
import { untilText } from "./clear-after";
import { dot } from "./status-panel";

/** How often "active 3 min ago" is written again. */
export const TICK_MS = 15_000;

type Shown = PresenceState | "unknown";
/** The groups in the order shown (the SDK's presenceRank order). */
const GROUPS: readonly Shown[] = ["busy", "online", "unavailable", "offline", "unknown"];

interface Row {
  person: Person;
  /** Not in any presence event yet: the server sends only people who are not offline. */
  entry: PresenceEntry | undefined;
  state: Shown;
  name: string;
}

/** The person's display name, or their user id's localpart when they have none. */
function nameOf(p: Person): string {
  return p.displayName ?? p.userId.replace(/^@/, "").split(":")[0] ?? p.userId;
}

function item(row: Row, now: number): HTMLLIElement {
  const { entry, state } = row;
  const ago = entry?.currentlyActive ? "active now" : activeAgo(entry?.lastActiveAt ?? null, now);
  return h(
    "li",
    { class: `person person-${state}`, "data-user-id": row.person.userId },
    dot(state),
    h("div", { class: "who" }, h("span", { class: "name" }, row.name), " ", h("span", { class: "user-id" }, row.person.userId)),
    h("div", { class: "presence" }, h("span", { class: `state-text state-${state}` }, presenceLabel(state)), ago ? h("span", { class: "ago" }, ` · ${ago}`) : null),
    entry?.statusMsg || entry?.until != null
      ? h("p", { class: "status-msg" }, entry.statusMsg ?? "", entry.until != null ? h("span", { class: "until" }, `${entry.statusMsg ? " · " : ""}${untilText(entry.until, now)}`) : null)
      : null,
  );
}

/**
 * "Your people": everyone you share a joined room with, grouped busy, online, away, offline, each
 * a list under its heading; redrawn on every change from sync and every TICK_MS for the times.
 */
export function peopleList(people: PeopleTracker, presence: PresenceTracker, now: () => number = Date.now): { el: HTMLElement; render(): void; dispose(): void } {
  const body = h("div", { class: "groups" });
  const el = h("section", { class: "card people", "aria-labelledby": "people-title" }, h("h2", { id: "people-title" }, "Your people"), body);

  const render = () => {
    const rows: Row[] = people.people().map((person) => {
      const entry = presence.get(person.userId);
      return { person, entry, state: entry?.state ?? "offline", name: nameOf(person) };
    });
    if (rows.length === 0) {
      replace(body, h("p", { class: "empty" }, "Nobody shares a room with you yet."));
      return;
    }
    const t = now();
    const sections = GROUPS.map((state) => {
      const members = rows
        .filter((r) => r.state === state)
        .sort((a, b) => (b.entry?.lastActiveAt ?? 0) - (a.entry?.lastActiveAt ?? 0) || a.name.localeCompare(b.name));
      if (members.length === 0) return null;
      const id = `group-${state}`;
      return h(
        "section",
        { class: "group" },
        h("h3", { id }, `${presenceLabel(state)} `, h("span", { class: "count" }, `(${members.length})`)),
        h("ul", { "aria-labelledby": id }, ...members.map((r) => item(r, t))),
      );
    });
    replace(body, ...sections);
  };

  const offPeople = people.on("change", render);
  const offPresence = presence.on("change", render);
  const timer = setInterval(render, TICK_MS);
  render();
  return {
    el,
    render,
    dispose() {
      offPeople();
      offPresence();
      clearInterval(timer);
    },
  };
}
