// Checks every answer a real client receives against the Matrix spec's schemas, as it flows past.
import { specUnavailable, specValidators, type SchemaCheck } from "../spec-schemas";

interface Route {
  pattern: RegExp;
  method: string;
  file: string;
  path: string;
  /** Also check each presence event on its own (the /sync schema types them only as events). */
  presenceEvents?: boolean;
}

const PREFIX = String.raw`/_matrix/client/(?:v3|r0)`;
const ROUTES: Route[] = [
  { pattern: /^\/_matrix\/client\/versions$/, method: "GET", file: "versions.yaml", path: "/versions" },
  { pattern: new RegExp(`^${PREFIX}/login$`), method: "POST", file: "login.yaml", path: "/login" },
  { pattern: new RegExp(`^${PREFIX}/account/whoami$`), method: "GET", file: "whoami.yaml", path: "/account/whoami" },
  { pattern: new RegExp(`^${PREFIX}/createRoom$`), method: "POST", file: "create_room.yaml", path: "/createRoom" },
  { pattern: new RegExp(`^${PREFIX}/sync$`), method: "GET", file: "sync.yaml", path: "/sync", presenceEvents: true },
  { pattern: new RegExp(`^${PREFIX}/rooms/[^/]+/messages$`), method: "GET", file: "message_pagination.yaml", path: "/rooms/{roomId}/messages" },
  { pattern: new RegExp(`^${PREFIX}/presence/[^/]+/status$`), method: "GET", file: "presence.yaml", path: "/presence/{userId}/status" },
  { pattern: new RegExp(`^${PREFIX}/profile/[^/]+$`), method: "GET", file: "profile.yaml", path: "/profile/{userId}" },
  { pattern: new RegExp(`^${PREFIX}/profile/[^/]+/[^/]+$`), method: "GET", file: "profile.yaml", path: "/profile/{userId}/{keyName}" },
  { pattern: new RegExp(`^${PREFIX}/profile/[^/]+/[^/]+$`), method: "PUT", file: "profile.yaml", path: "/profile/{userId}/{keyName}" },
  { pattern: new RegExp(`^${PREFIX}/profile/[^/]+/[^/]+$`), method: "DELETE", file: "profile.yaml", path: "/profile/{userId}/{keyName}" },
];

/** Collects schema problems in what the server sent; `checked` counts the bodies looked at. */
export class SpecAudit {
  readonly problems: string[] = [];
  checked = 0;
  /** Why nothing is checked (the spec folder is absent), or null. */
  readonly unavailable = specUnavailable();
  private pending: Promise<void>[] = [];

  constructor(private readonly inner: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)) {}

  /** A fetch for the client under test: the same answers, each also checked. */
  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const res = await this.inner(input, init);
    if (this.unavailable || res.status !== 200) return res;
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (route) this.pending.push(this.check(route, `${method} ${url.pathname}`, res.clone()));
    return res;
  };

  private async check(route: Route, what: string, res: Response): Promise<void> {
    try {
      const v = specValidators();
      const body: unknown = await res.json();
      const problems = (await v.responseValidator(route.file, route.path, route.method, 200))(body);
      if (problems.length) this.problems.push(`${what}: ${problems.join("; ")}`);
      if (route.presenceEvents) await this.checkPresenceEvents(await v.eventValidator("m.presence"), body, what);
      this.checked++;
    } catch (err) {
      this.problems.push(`${what}: ${(err as Error).message}`);
    }
  }

  private async checkPresenceEvents(check: SchemaCheck, body: unknown, what: string): Promise<void> {
    const events = (body as { presence?: { events?: unknown[] } }).presence?.events ?? [];
    for (const ev of events) {
      const problems = check(ev);
      if (problems.length) this.problems.push(`${what} presence event ${JSON.stringify(ev)}: ${problems.join("; ")}`);
    }
  }

  /** Waits for the checks of every answer received so far. */
  async settle(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }
}
