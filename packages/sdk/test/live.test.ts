// The SDK against a real Axon on port 0 (and one without busy), plus a tiny server speaking other busy spellings.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { addUser, startLiveServer, waitFor, type LiveServer } from "../../server/test/e2e/harness";
import { AxonClient, ConnectionError, MatrixError, PeopleTracker, PresenceTracker, SyncLoop } from "../src/index";

const PASSWORD = "correct horse battery";

describe("@axon/sdk against Axon", { timeout: 60_000 }, () => {
  let live: LiveServer;
  let noBusy: LiveServer;
  before(async () => {
    [live, noBusy] = await Promise.all([startLiveServer(), startLiveServer({ presence: { busy_presence: false, status_expiry: false } })]);
  });
  after(async () => {
    await Promise.all([live.close(), noBusy.close()]);
  });

  async function pair(server: LiveServer, tag: string, bName?: string): Promise<{ a: AxonClient; b: AxonClient; roomId: string }> {
    await addUser(server, `${tag}a`, PASSWORD);
    await addUser(server, `${tag}b`, PASSWORD);
    const a = await AxonClient.login(server.url, `${tag}a`, PASSWORD);
    const b = await AxonClient.login(server.url, `@${tag}b:${server.serverName}`, PASSWORD);
    if (bName) await b.setDisplayName(bName);
    const roomId = await a.createRoom({ preset: "private_chat", invite: [b.userId] });
    await b.joinRoom(roomId);
    return { a, b, roomId };
  }

  it("logs in, knows who it is, reads the busy flag, and busy round-trips with its message", async () => {
    const { a, b } = await pair(live, "rt");
    assert.deepEqual(await a.whoami(), { userId: a.userId, deviceId: a.session.deviceId });
    assert.equal(await a.supportsBusy(), true);
    const res = await b.setPresence("busy", { statusMsg: "in a call" });
    assert.deepEqual(res, { requested: "busy", applied: "busy", fallback: false, statusMsg: "in a call", until: null, untilUnsupported: false });
    const seen = await a.getPresence(b.userId);
    assert.equal(seen.state, "busy");
    assert.equal(seen.raw, "org.matrix.msc3026.busy");
    assert.equal(seen.statusMsg, "in a call");
    // An empty message clears it.
    await b.setPresence("online", { statusMsg: null });
    assert.equal((await a.getPresence(b.userId)).statusMsg, null);
    await b.setDisplayName("Bob Builder");
    assert.equal(await a.getDisplayName(b.userId), "Bob Builder");
  });

  it("busy until a time: the server gets the end, others see it (GET and the tracker), and it ends by itself", async () => {
    const { a, b } = await pair(live, "un");
    assert.equal(await b.supportsPresenceExpiry(), true);
    const loop = new SyncLoop(a, { timeoutMs: 10_000, setPresence: "offline" });
    const tracker = new PresenceTracker();
    tracker.attach(loop);
    loop.start();
    try {
      const until = Date.now() + 1_500;
      const res = await b.setPresence("busy", { statusMsg: "workshop", until: new Date(until) });
      assert.deepEqual(res, { requested: "busy", applied: "busy", fallback: false, statusMsg: "workshop", until, untilUnsupported: false });
      assert.equal((await a.getPresence(b.userId)).until, until);
      await waitFor(() => tracker.get(b.userId)?.until === until, "the end on A's tracker", 5_000);
      // The server ends it: busy goes, and the message with it.
      await waitFor(() => tracker.get(b.userId)?.state !== "busy" && tracker.get(b.userId)?.statusMsg === null, "the end to pass", 10_000);
      assert.equal(tracker.get(b.userId)?.until, null);
    } finally {
      await loop.stop();
    }
  });

  it("falls back to unavailable, keeping the message, on a server without busy, and says so", async () => {
    const { a, b } = await pair(noBusy, "fb");
    assert.equal(await b.supportsBusy(), false);
    const res = await b.setPresence("busy", { statusMsg: "focusing" });
    assert.deepEqual(res, { requested: "busy", applied: "unavailable", fallback: true, statusMsg: "focusing", until: null, untilUnsupported: false });
    const seen = await a.getPresence(b.userId);
    assert.equal(seen.state, "unavailable");
    assert.equal(seen.statusMsg, "focusing");
    // This server ends nothing by itself: an end asked for is not sent, and the result says so.
    const until = await b.setPresence("online", { statusMsg: "x", until: Date.now() + 60_000 });
    assert.equal(until.untilUnsupported, true);
    assert.equal(until.until, null);
    assert.equal((await a.getPresence(b.userId)).until, null);
  });

  it("a sync loop feeds the trackers: B's busy, its message and B's name reach A live", async () => {
    const { a, b, roomId } = await pair(live, "sl", "Bea");
    const loop = new SyncLoop(a, { timeoutMs: 10_000, setPresence: "online" });
    const presence = new PresenceTracker();
    const people = new PeopleTracker(a.userId);
    presence.attach(loop);
    people.attach(loop);
    loop.start();
    try {
      await waitFor(() => loop.status.state === "syncing", "the loop to catch up");
      await waitFor(() => people.people().some((p) => p.userId === b.userId && p.displayName === "Bea"), "B among A's people");
      assert.ok(!people.people().some((p) => p.userId === a.userId), "yourself is not among your people");
      // A new name reaches the room as a member event, and the tracker follows.
      await b.setDisplayName("Bea Builder");
      await waitFor(() => people.people().some((p) => p.userId === b.userId && p.displayName === "Bea Builder"), "B's new name", 5_000);
      const t0 = Date.now();
      await b.setPresence("busy", { statusMsg: "with a customer" });
      await waitFor(() => presence.get(b.userId)?.state === "busy" && presence.get(b.userId)?.statusMsg === "with a customer", "B busy on A's tracker", 5_000);
      assert.ok(Date.now() - t0 < 2_000, "a long-poll wakes at once");
      // B leaves their only shared room: A no longer counts B among their people.
      await b.http.request("POST", `v3/rooms/${encodeURIComponent(roomId)}/leave`, { body: {} });
      await waitFor(() => !people.people().some((p) => p.userId === b.userId), "B gone from A's people", 5_000);
    } finally {
      await loop.stop();
    }
    assert.equal(loop.status.state, "stopped");
  });

  it("gives MatrixError for a wrong password and a dead token, ConnectionError for a refused port", async () => {
    await addUser(live, "errs", PASSWORD);
    await assert.rejects(AxonClient.login(live.url, "errs", "wrong"), (e) => e instanceof MatrixError && e.status === 403 && e.errcode === "M_FORBIDDEN");
    const c = await AxonClient.login(live.url, "errs", PASSWORD);
    await c.logout();
    await assert.rejects(c.whoami(), (e) => e instanceof MatrixError && e.status === 401 && e.errcode === "M_UNKNOWN_TOKEN");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(AxonClient.login(`http://127.0.0.1:${port}`, "errs", PASSWORD), (e) => e instanceof ConnectionError && /refused/.test(e.message));
    const d = await AxonClient.login(live.url, "errs", PASSWORD);
    await assert.rejects(d.getPresence("@nobody:nowhere.test"), (e) => e instanceof MatrixError && e.status === 403 && e.errcode === "M_FORBIDDEN");
  });
});

describe("reading every spelling of busy", { timeout: 30_000 }, () => {
  let server: Server;
  let url: string;
  before(async () => {
    // A homeserver that speaks busy the ways other servers and clients do.
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/_matrix/client/versions")) return res.end(JSON.stringify({ versions: ["v1.11"] }));
      if (req.url?.startsWith("/_matrix/client/v3/sync")) {
        const events = [
          ["@one:other.test", "busy"],
          ["@two:other.test", "org.matrix.busy"],
          ["@three:other.test", "org.matrix.msc3026.busy"],
          ["@four:other.test", "org.example.dnd"],
        ].map(([sender, presence]) => ({ type: "m.presence", sender, content: { presence, status_msg: `${presence} msg`, last_active_ago: 1000 } }));
        return res.end(JSON.stringify({ next_batch: "n1", presence: { events } }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ errcode: "M_UNRECOGNIZED", error: "no" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  it("the tracker reports busy for all three spellings, unknown for anything else, and no busy without the flag", async () => {
    const client = new AxonClient({ homeserver: url, userId: "@me:other.test", deviceId: "D", accessToken: "t" });
    assert.equal(await client.supportsBusy(), false, "a missing flag means no busy");
    const tracker = new PresenceTracker();
    tracker.ingest(await client.sync({ timeout: 0 }));
    assert.equal(tracker.get("@one:other.test")?.state, "busy");
    assert.equal(tracker.get("@two:other.test")?.state, "busy");
    assert.equal(tracker.get("@three:other.test")?.state, "busy");
    assert.equal(tracker.get("@two:other.test")?.statusMsg, "org.matrix.busy msg");
    assert.equal(tracker.get("@four:other.test")?.state, "unknown");
    assert.equal(tracker.get("@four:other.test")?.raw, "org.example.dnd");
  });
});
