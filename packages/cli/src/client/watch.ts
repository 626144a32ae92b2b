// `axon presence watch`: the presence of everyone you share a room with, live, as a table or as lines.
import { PeopleTracker, PresenceTracker, SyncLoop, type AxonClient, type PresenceEntry, type Person, type SyncStatus } from "@axon/sdk";
import { colourEnabled, describeError, presenceLine, renderTable, type Row } from "./output";

/** Only what the watch reads: member events (state and a short timeline) and presence. */
const FILTER = {
  room: { timeline: { limit: 1 }, ephemeral: { types: [] }, account_data: { types: [] } },
  account_data: { types: [] },
};

/** How often the table is redrawn with nothing new, so "active 3 min ago" keeps up. */
const REFRESH_MS = 15_000;

interface View {
  show(rows: Row[]): void;
  status(status: SyncStatus): void;
  close(): void;
}

/**
 * Syncs (with `set_presence=offline`, so watching does not make you look online) until SIGINT,
 * SIGTERM or SIGHUP, which end it normally; a session the server refuses ends it with that error.
 */
export async function watchPresence(client: AxonClient, opts: { plain: boolean }): Promise<void> {
  // A dead token or a server that is not there fails here, at once, instead of retrying forever.
  await client.whoami();
  const presence = new PresenceTracker({ clock: client.clock });
  const people = new PeopleTracker(client.userId);
  const loop = new SyncLoop(client, { setPresence: "offline", filter: FILTER });
  presence.attach(loop);
  people.attach(loop);
  const stdout = process.stdout;
  const view: View = opts.plain || !stdout.isTTY ? new PlainView(client) : new TableView(client, colourEnabled(stdout));

  // The trackers have taken in the whole response before this listener runs (listeners run in order).
  let dirty = true;
  presence.on("change", () => (dirty = true));
  people.on("change", () => (dirty = true));
  loop.on("sync", () => {
    if (!dirty) return;
    dirty = false;
    view.show(people.people().map((p) => rowOf(p, presence.get(p.userId))));
  });
  loop.on("state", (s) => view.status(s));

  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  let onSignal = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    onSignal = () => void loop.stop().then(resolve, reject);
    loop.on("state", (s) => {
      if (s.state === "error") reject(s.error ?? new Error("the server refused the session"));
    });
  });
  for (const sig of signals) process.on(sig, onSignal);
  loop.start();
  try {
    await ended;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    await loop.stop();
    view.close();
  }
}

/** Someone with no presence heard yet shows as offline: a server sends presence only for who is not offline. */
function rowOf(person: Person, entry: PresenceEntry | undefined): Row {
  return {
    userId: person.userId,
    displayName: person.displayName,
    state: entry?.state ?? "offline",
    statusMsg: entry?.statusMsg ?? null,
    lastActiveAt: entry?.lastActiveAt ?? null,
    until: entry?.until ?? null,
    currentlyActive: entry?.currentlyActive ?? null,
  };
}

/** `@bob:example.org busy "in a call"`: one line per person at the start, then one per change; connection news on stderr. */
class PlainView implements View {
  private readonly printed = new Map<string, string>();
  private lost = false;

  constructor(private readonly client: AxonClient) {}

  show(rows: Row[]): void {
    let text = "";
    const present = new Set<string>();
    for (const r of rows) {
      present.add(r.userId);
      const line = presenceLine(r.userId, r.state, r.statusMsg, r.until ?? null, this.client.clock.now());
      if (this.printed.get(r.userId) === line) continue;
      this.printed.set(r.userId, line);
      text += `${line}\n`;
    }
    // Someone who no longer shares a room is forgotten, so a return prints their line again.
    for (const id of [...this.printed.keys()]) if (!present.has(id)) this.printed.delete(id);
    if (text) process.stdout.write(text);
  }

  status(s: SyncStatus): void {
    if (s.state === "reconnecting" && s.error) {
      const secs = s.retryAt === null ? 0 : Math.max(0, Math.round((s.retryAt - this.client.clock.now()) / 1000));
      process.stderr.write(`axon: ${describeError(s.error)}; reconnecting in ${secs} s\n`);
      this.lost = true;
    } else if (s.state === "syncing" && this.lost) {
      process.stderr.write("axon: reconnected\n");
      this.lost = false;
    }
  }

  close(): void {}
}

/** The in-place table: redrawn on each change, each connection change, every second while reconnecting and every 15 s. */
class TableView implements View {
  private rows: Row[] | null = null;
  private conn: SyncStatus = { state: "catchup", retryAt: null, error: null };
  private drawn = 0;
  private lastDraw = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onResize = () => this.draw();

  constructor(
    private readonly client: AxonClient,
    private readonly colour: boolean,
  ) {
    process.stdout.write("\x1b[?25l"); // hide the cursor while the table lives
    process.stdout.on("resize", this.onResize);
    this.timer = setInterval(() => {
      if (this.conn.state === "reconnecting" || this.client.clock.now() - this.lastDraw >= REFRESH_MS) this.draw();
    }, 1_000);
    this.draw();
  }

  show(rows: Row[]): void {
    this.rows = rows;
    this.draw();
  }

  status(s: SyncStatus): void {
    this.conn = s;
    this.draw();
  }

  close(): void {
    clearInterval(this.timer);
    process.stdout.off("resize", this.onResize);
    process.stdout.write("\x1b[?25h");
  }

  private connection(now: number): string {
    const s = this.conn;
    if (s.state === "syncing") return "live";
    if (s.state === "catchup") return this.rows === null ? "connecting…" : "catching up…";
    if (s.state === "reconnecting") {
      const secs = s.retryAt === null ? 0 : Math.max(0, Math.ceil((s.retryAt - now) / 1000));
      return `reconnecting in ${secs} s (${s.error ? describeError(s.error) : "connection lost"})`;
    }
    return "stopped";
  }

  private draw(): void {
    const now = this.client.clock.now();
    this.lastDraw = now;
    const out = process.stdout;
    const lines = renderTable(this.rows ?? [], {
      now,
      colour: this.colour,
      columns: out.columns || 80,
      maxLines: Math.max(4, (out.rows || 24) - 1),
      title: `Presence for ${this.client.userId} · ${this.connection(now)}`,
      empty: this.rows === null ? "(loading…)" : "(nobody shares a room with you yet)",
    });
    // Back to the table's first line, clear to the end of the screen, draw again.
    out.write(`${this.drawn ? `\x1b[${this.drawn}F\x1b[J` : ""}${lines.join("\n")}\n`);
    this.drawn = lines.length;
  }
}
