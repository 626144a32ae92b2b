// The floor: a bare node:http server doing the same HTTP exchanges as a homeserver under the
// fanout and storm scenarios with no logic (no storage, no auth, no filters). What the generator and the
// kernel cost alone; Axon's figures are read against it. Run by `npm run bench -- ... --server floor`.
import http from "node:http";

const port = Number(process.argv[2]);
const members = new Map<string, Set<string>>();
const roomsOf = new Map<string, Set<string>>();
const pending = new Map<string, Map<string, string>>();
const waiters = new Map<string, () => void>();
/** Users a sync with set_presence=online has made online (storm). */
const online = new Set<string>();
let rooms = 0;
let batch = 0;

const userOf = (req: http.IncomingMessage) => {
  const m = /^Bearer axb_(\d+)_/.exec(req.headers.authorization ?? "");
  return m ? `@bench${m[1]}:localhost` : null;
};

function join(room: string, user: string) {
  members.get(room)?.add(user);
  if (!roomsOf.has(user)) roomsOf.set(user, new Set());
  roomsOf.get(user)?.add(room);
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Queues `user`'s new state for everyone sharing a room with them (and themselves) and wakes them. */
function announce(user: string, state: string) {
  const audience = new Set([user]);
  for (const r of roomsOf.get(user) ?? []) for (const m of members.get(r) ?? []) audience.add(m);
  for (const m of audience) {
    let p = pending.get(m);
    if (!p) pending.set(m, (p = new Map()));
    p.delete(user);
    p.set(user, state);
    waiters.get(m)?.();
  }
}

function presenceBody(user: string) {
  const p = pending.get(user);
  pending.delete(user);
  const events = p ? [...p].map(([sender, presence]) => ({ type: "m.presence", sender, content: { presence } })) : [];
  return { next_batch: String(++batch), presence: { events } };
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname.replace("/_matrix/client/v3", "");
      if (path === "/_matrix/client/versions") return send(res, 200, { versions: ["v1.11"] });
      const user = userOf(req);
      if (!user) return send(res, 401, { errcode: "M_MISSING_TOKEN" });
      if (path === "/account/whoami") return send(res, 200, { user_id: user });
      if (path === "/createRoom") {
        const room = `!r${++rooms}:localhost`;
        members.set(room, new Set());
        join(room, user);
        return send(res, 200, { room_id: room });
      }
      if (path.startsWith("/join/")) {
        join(decodeURIComponent(path.slice(6)), user);
        return send(res, 200, {});
      }
      if (path.startsWith("/presence/")) {
        announce(user, (JSON.parse(Buffer.concat(chunks).toString()) as { presence: string }).presence);
        return send(res, 200, {});
      }
      if (path === "/sync") {
        const since = url.searchParams.get("since");
        if ((url.searchParams.get("set_presence") ?? "online") === "online" && !online.has(user)) {
          online.add(user);
          announce(user, "online");
        }
        if (!since) return send(res, 200, { next_batch: String(++batch), presence: { events: [] } });
        if (pending.has(user)) return send(res, 200, presenceBody(user));
        const timer = setTimeout(() => done(), Number(url.searchParams.get("timeout") ?? 0));
        const done = () => {
          clearTimeout(timer);
          waiters.delete(user);
          send(res, 200, presenceBody(user));
        };
        waiters.set(user, done);
        res.on("close", () => {
          if (waiters.get(user) === done) {
            clearTimeout(timer);
            waiters.delete(user);
          }
        });
        return;
      }
      send(res, 404, { errcode: "M_UNRECOGNIZED" });
    });
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
