// Unread notification counts in /sync, reset by read receipts, kept across a restart, and GET /notifications, on both databases.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freshDatabase, testDatabases, type TestDatabase } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
let txn = 0;

for (const { name, skip } of await testDatabases()) {
  describe(`notification counts on ${name}`, { skip }, () => {
    let db: TestDatabase;
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dm: string;
    let group: string;

    const send = async (u: TestUser, roomId: string, content: Record<string, unknown>) => {
      const id = (await expectOk(t, "PUT", `${V3}/rooms/${enc(roomId)}/send/m.room.message/n${++txn}`, u, { msgtype: "m.text", ...content })).event_id as string;
      t.clock.advance(1000);
      return id;
    };
    const sync = async (u: TestUser, since?: string) => {
      const res = await t.request("GET", `${V3}/sync${since ? `?since=${enc(since)}&timeout=0` : ""}`, { token: u.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { next_batch: string; rooms?: { join?: Record<string, { unread_notifications: { notification_count: number; highlight_count: number }; ephemeral: { events: { type: string }[] } }> } };
    };
    const countsIn = async (u: TestUser, roomId: string) => (await sync(u)).rooms?.join?.[roomId]?.unread_notifications;
    const receipt = (u: TestUser, roomId: string, eventId: string, type = "m.read") =>
      expectOk(t, "POST", `${V3}/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`, u, {});

    before(async () => {
      db = await freshDatabase(name);
      t = await createTestServer({}, { db });
      alice = await registerUser(t, "alice");
      bob = await registerUser(t, "bob");
      carol = await registerUser(t, "carol");
      await t.server.deps.accounts.setProfile(alice.userId, { displayname: "Alice" });
      dm = await createRoom(t, bob, { preset: "trusted_private_chat", is_direct: true, invite: [alice.userId] });
      await joinRoom(t, dm, alice);
      group = await createRoom(t, bob, { preset: "public_chat" });
      await joinRoom(t, group, alice, carol);
    });
    after(async () => {
      await t.close();
      await db.cleanup();
    });

    it("a DM message notifies the other member, not its sender", async () => {
      await send(bob, dm, { body: "hello there" });
      assert.deepEqual(await countsIn(alice, dm), { notification_count: 1, highlight_count: 0 });
      assert.deepEqual(await countsIn(bob, dm), { notification_count: 0, highlight_count: 0 });
    });

    it("a mention highlights, and only for the one mentioned", async () => {
      await send(carol, group, { body: "ordinary" });
      await send(carol, group, { body: "alice, look", "m.mentions": { user_ids: [alice.userId] } });
      assert.deepEqual(await countsIn(alice, group), { notification_count: 2, highlight_count: 1 });
      assert.deepEqual(await countsIn(bob, group), { notification_count: 2, highlight_count: 0 });
    });

    it("a read receipt resets the counts, and the room appears in the next incremental sync with them", async () => {
      const first = await send(bob, dm, { body: "second" });
      await send(bob, dm, { body: "third", "m.mentions": { user_ids: [alice.userId] } });
      assert.deepEqual(await countsIn(alice, dm), { notification_count: 3, highlight_count: 1 });
      const since = (await sync(alice)).next_batch;
      await receipt(alice, dm, first, "m.read.private");
      const partial = await sync(alice, since);
      assert.deepEqual(partial.rooms?.join?.[dm]?.unread_notifications, { notification_count: 1, highlight_count: 1 }, "only what comes after the receipt");
      const mid = (await sync(alice)).next_batch;
      const timeline = await t.request("GET", `${V3}/rooms/${enc(dm)}/messages?dir=b&limit=1`, { token: alice.token });
      await receipt(alice, dm, timeline.body.chunk[0].event_id as string);
      const reset = await sync(alice, mid);
      const entry = reset.rooms?.join?.[dm];
      assert.ok(entry, "the receipt alone brings the room into the incremental sync");
      assert.ok(entry.ephemeral.events.some((e) => e.type === "m.receipt"));
      assert.deepEqual(entry.unread_notifications, { notification_count: 0, highlight_count: 0 });
      assert.deepEqual(await countsIn(bob, dm), { notification_count: 0, highlight_count: 0 });
    });

    it("a muted room (a room rule with no actions) counts nothing", async () => {
      const muted = await createRoom(t, bob, { preset: "public_chat" });
      await joinRoom(t, muted, alice);
      await expectOk(t, "PUT", `${V3}/pushrules/global/room/${enc(muted)}`, alice, { actions: [] });
      // (A mention would still notify: the mention rules are overrides, which come before room rules.)
      await send(bob, muted, { body: "quiet please" });
      assert.deepEqual(await countsIn(alice, muted), { notification_count: 0, highlight_count: 0 });
      await send(alice, muted, { body: "it still counts for the other member" });
      assert.deepEqual(await countsIn(bob, muted), { notification_count: 1, highlight_count: 0 });
    });

    it("GET /notifications pages newest first, filters highlights and says what is read", async () => {
      const all = await expectOk(t, "GET", `${V3}/notifications?limit=2`, alice);
      if (specUnavailable() === null) assertMatchesSpec(await specValidators().responseValidator("notifications.yaml", "/notifications", "get", 200), all, "notifications");
      assert.equal(all.notifications.length, 2);
      assert.equal(all.notifications[0].event.content.body, "third");
      assert.equal(all.notifications[0].room_id, dm);
      assert.equal(all.notifications[0].read, true, "the DM is read up to its newest event");
      assert.ok(all.notifications[0].actions.includes("notify"));
      assert.equal(typeof all.next_token, "string");
      const seen: { body: string; read: boolean }[] = all.notifications.map((n: { event: { content: { body: string } }; read: boolean }) => ({ body: n.event.content.body, read: n.read }));
      let from: string | undefined = all.next_token;
      while (from) {
        const page = await expectOk(t, "GET", `${V3}/notifications?limit=2&from=${enc(from)}`, alice);
        seen.push(...page.notifications.map((n: { event: { content: { body: string } }; read: boolean }) => ({ body: n.event.content.body, read: n.read })));
        from = page.next_token;
      }
      assert.deepEqual(seen, [
        { body: "third", read: true },
        { body: "second", read: true },
        { body: "alice, look", read: false },
        { body: "ordinary", read: false },
        { body: "hello there", read: true },
      ]);
      const highlights = await expectOk(t, "GET", `${V3}/notifications?only=highlight`, alice);
      assert.deepEqual(highlights.notifications.map((n: { event: { content: { body: string } } }) => n.event.content.body), ["third", "alice, look"]);
      assert.equal(highlights.next_token, undefined);
      for (const bad of ["from=abc", "limit=-1", "limit=x"]) {
        const res = await t.request("GET", `${V3}/notifications?${bad}`, { token: alice.token });
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.errcode, "M_INVALID_PARAM");
      }
      assert.equal((await t.request("GET", `${V3}/notifications`)).status, 401);
    });

    it("counts survive a restart", async () => {
      const before = await countsIn(alice, group);
      assert.deepEqual(before, { notification_count: 2, highlight_count: 1 });
      await t.close();
      t = await createTestServer({}, { db });
      assert.deepEqual(await countsIn(alice, group), before);
      assert.deepEqual(await countsIn(alice, dm), { notification_count: 0, highlight_count: 0 });
      const page = await expectOk(t, "GET", `${V3}/notifications?limit=10`, alice);
      assert.equal(page.notifications.length, 5);
      await send(carol, group, { body: "after restart" });
      assert.deepEqual(await countsIn(alice, group), { notification_count: 3, highlight_count: 1 });
    });

    it("rows lost in a crash (still in memory) are evaluated again at start-up", async () => {
      const before = await countsIn(alice, group);
      const { m: ordering } = await t.server.database.db.selectFrom("events").select((eb) => eb.fn.max("stream_ordering").as("m")).executeTakeFirstOrThrow();
      const lostA = await send(carol, group, { body: "lost one" });
      const lostB = await send(carol, group, { body: "lost two, Alice", "m.mentions": { user_ids: [alice.userId] } });
      await t.close();
      // What a crash within the batching delay leaves: the events, but neither their rows nor the marker.
      const raw = await db.open();
      await raw.db.deleteFrom("event_notifications").where("event_id", "in", [lostA, lostB]).execute();
      await raw.db.updateTable("stream_positions").set({ position: Number(ordering) }).where("stream", "=", "notifications").execute();
      await raw.close();
      t = await createTestServer({}, { db });
      assert.deepEqual(await countsIn(alice, group), { notification_count: before!.notification_count + 2, highlight_count: before!.highlight_count + 1 });
      const page = await expectOk(t, "GET", `${V3}/notifications?limit=2`, alice);
      assert.deepEqual(page.notifications.map((n: { event: { event_id: string } }) => n.event.event_id), [lostB, lostA]);
    });
  });
}
