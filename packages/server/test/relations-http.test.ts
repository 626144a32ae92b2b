// Redactions, edits, threads, references and bundled aggregations over HTTP, on both databases.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const enc = encodeURIComponent;
const spec = specUnavailable() === null ? specValidators() : null;
async function matchesSpec(file: string, path: string, method: string, body: unknown): Promise<void> {
  if (spec) assertMatchesSpec(await spec.responseValidator(file, path, method, 200), body, `${method} ${path}`);
}

let txn = 0;
type Ev = { event_id: string; type: string; content: Record<string, unknown>; unsigned?: Record<string, unknown>; redacts?: string };

for (const { name, skip } of await testDatabases()) {
  describe(`relations and redactions on ${name}`, { skip }, () => {
    let t: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let roomId: string;

    before(async () => {
      t = await createTestServer({}, { database: name });
      [alice, bob, carol] = [await registerUser(t), await registerUser(t), await registerUser(t)];
      roomId = await createRoom(t, alice, { preset: "public_chat" });
      await joinRoom(t, roomId, bob, carol);
    });
    after(() => t.close());

    const room = (path: string) => `/_matrix/client/v3/rooms/${enc(roomId)}${path}`;
    const v1 = (path: string) => `/_matrix/client/v1/rooms/${enc(roomId)}${path}`;
    const send = async (u: TestUser, content: Record<string, unknown>, type = "m.room.message"): Promise<string> =>
      (await expectOk(t, "PUT", room(`/send/${type}/t${++txn}`), u, content)).event_id;
    const getEvent = async (u: TestUser, id: string): Promise<Ev> => expectOk(t, "GET", room(`/event/${enc(id)}`), u);
    const redact = (u: TestUser, id: string, txnId: string, body: unknown = {}) => t.request("PUT", room(`/redact/${enc(id)}/${txnId}`), { token: u.token, body });
    const timelineOf = (sync: { rooms?: { join?: Record<string, { timeline: { events: Ev[] } }> } }) => sync.rooms?.join?.[roomId]?.timeline.events ?? [];
    const initialSync = (u: TestUser) => expectOk(t, "GET", "/_matrix/client/v3/sync?filter=" + enc(JSON.stringify({ room: { timeline: { limit: 50 } } })), u);

    it("redacts your own event: the content is gone from every later answer, redacted_because says why, and /sync carries the redaction", async () => {
      const secret = await send(alice, { msgtype: "m.text", body: "my password is hunter2" });
      const warm = await initialSync(bob); // fills the in-memory recent timeline
      assert.ok(timelineOf(warm).some((e) => e.event_id === secret));
      const since = warm.next_batch as string;
      const res = await redact(alice, secret, "r1", { reason: "oops" });
      assert.equal(res.status, 200);
      const redactionId = res.body.event_id as string;
      await matchesSpec("redaction.yaml", "/rooms/{roomId}/redact/{eventId}/{txnId}", "put", res.body);
      assert.equal((await redact(alice, secret, "r1", { reason: "oops" })).body.event_id, redactionId, "the same transaction id is the same redaction");

      const e = await getEvent(bob, secret);
      assert.deepEqual(e.content, {});
      const because = e.unsigned?.redacted_because as Ev;
      assert.equal(because.event_id, redactionId);
      assert.deepEqual(because.content, { redacts: secret, reason: "oops" });

      const incremental = await expectOk(t, "GET", `/_matrix/client/v3/sync?since=${enc(since)}`, bob);
      const r = timelineOf(incremental).find((x) => x.event_id === redactionId);
      assert.equal(r?.type, "m.room.redaction");
      assert.equal(r?.redacts, secret);
      for (const answer of [await initialSync(bob), await expectOk(t, "GET", room("/messages?dir=b&limit=50"), carol)]) {
        assert.doesNotMatch(JSON.stringify(answer), /hunter2/);
      }
      const row = await t.server.database.db.selectFrom("events").select("content").where("event_id", "=", secret).executeTakeFirstOrThrow();
      assert.equal(row.content, "{}", "the stored content is pruned, not hidden");
    });

    it("applies the power levels: others' events need the redact level; redactions cannot go through /send", async () => {
      const bobs = await send(bob, { msgtype: "m.text", body: "bob's" });
      const alices = await send(alice, { msgtype: "m.text", body: "alice's" });
      const refused = await redact(bob, alices, "r2");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.errcode, "M_FORBIDDEN");
      assert.equal((await getEvent(carol, alices)).content.body, "alice's");
      assert.equal((await redact(alice, bobs, "r3")).status, 200, "the creator has power level 100");
      assert.deepEqual((await getEvent(carol, bobs)).content, {});
      const viaSend = await t.request("PUT", room(`/send/m.room.redaction/t${++txn}`), { token: bob.token, body: { redacts: alices } });
      assert.equal(viaSend.status, 403);
      const unknown = await redact(alice, "$nosuchevent", "r4");
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.errcode, "M_NOT_FOUND");
      const bad = await redact(alice, alices, "r5", { reason: 5 });
      assert.equal(bad.body.errcode, "M_BAD_JSON");
    });

    it("keeps what the algorithm keeps: a redacted member event still says who is joined", async () => {
      const member = (await expectOk(t, "GET", room(`/state/m.room.member/${enc(carol.userId)}`), alice)) as Record<string, unknown>;
      assert.equal(member.membership, "join");
      const memberEvent = (await expectOk(t, "GET", room("/state"), alice)).find((e: Ev & { state_key: string }) => e.type === "m.room.member" && e.state_key === carol.userId) as Ev;
      assert.equal((await redact(carol, memberEvent.event_id, "r6")).status, 200);
      assert.deepEqual((await getEvent(alice, memberEvent.event_id)).content, { membership: "join" });
      assert.deepEqual(await expectOk(t, "GET", room(`/state/m.room.member/${enc(carol.userId)}`), alice), { membership: "join" });
    });

    it("bundles the latest edit by the original sender, everywhere the event is served", async () => {
      const original = await send(alice, { msgtype: "m.text", body: "helo" });
      await initialSync(carol); // warm cache before the relation arrives
      const edit = (u: TestUser, body: string) => send(u, { msgtype: "m.text", body: `* ${body}`, "m.new_content": { msgtype: "m.text", body }, "m.relates_to": { rel_type: "m.replace", event_id: original } });
      await edit(alice, "hello");
      t.clock.advance(10);
      const second = await edit(alice, "hello!");
      t.clock.advance(10);
      await edit(bob, "hijacked"); // not the sender: ignored
      const bundled = (e: Ev | undefined) => (e?.unsigned?.["m.relations"] as Record<string, Ev> | undefined)?.["m.replace"];
      assert.equal(bundled(await getEvent(carol, original))?.event_id, second);
      assert.equal(bundled(timelineOf(await initialSync(carol)).find((e) => e.event_id === original))?.event_id, second);
      const messages = await expectOk(t, "GET", room("/messages?dir=b&limit=50"), carol);
      assert.equal(bundled(messages.chunk.find((e: Ev) => e.event_id === original))?.event_id, second);
      const context = await expectOk(t, "GET", room(`/context/${enc(original)}`), carol);
      assert.equal(bundled(context.event)?.event_id, second);
    });

    it("threads: bundled summary, GET /threads with include and pagination", async () => {
      const root = await send(alice, { msgtype: "m.text", body: "thread root" });
      const reply = (u: TestUser, body: string, to = root) => send(u, { msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: to, is_falling_back: true, "m.in_reply_to": { event_id: to } } });
      await reply(bob, "first");
      const latest = await reply(bob, "second");
      const thread = (e: Ev) => (e.unsigned?.["m.relations"] as Record<string, { count: number; current_user_participated: boolean; latest_event: Ev }>)["m.thread"];
      const forBob = thread(await getEvent(bob, root));
      assert.equal(forBob?.count, 2);
      assert.equal(forBob?.latest_event.event_id, latest);
      assert.equal(forBob?.current_user_participated, true);
      assert.equal(thread(await getEvent(carol, root))?.current_user_participated, false);
      assert.equal(thread(await getEvent(alice, root))?.current_user_participated, true, "the root's sender participates");

      const other = await send(carol, { msgtype: "m.text", body: "another root" });
      await reply(carol, "carol's own", other);
      const all = await expectOk(t, "GET", v1("/threads"), bob);
      assert.deepEqual(all.chunk.map((e: Ev) => e.event_id), [other, root], "latest activity first");
      assert.equal(thread(all.chunk[1])?.count, 2);
      await matchesSpec("threads_list.yaml", "/rooms/{roomId}/threads", "get", all);
      const mine = await expectOk(t, "GET", v1("/threads?include=participated"), bob);
      assert.deepEqual(mine.chunk.map((e: Ev) => e.event_id), [root]);
      const page1 = await expectOk(t, "GET", v1("/threads?limit=1"), bob);
      assert.deepEqual(page1.chunk.map((e: Ev) => e.event_id), [other]);
      const page2 = await expectOk(t, "GET", v1(`/threads?limit=1&from=${enc(page1.next_batch)}`), bob);
      assert.deepEqual(page2.chunk.map((e: Ev) => e.event_id), [root]);
      const bad = await t.request("GET", v1("/threads?include=some"), { token: bob.token });
      assert.equal(bad.body.errcode, "M_INVALID_PARAM");
    });

    it("GET /relations: by type and event type, both directions, paginated, recursive, and references bundled", async () => {
      const root = await send(alice, { msgtype: "m.text", body: "relations root" });
      const r1 = await send(bob, { msgtype: "m.text", body: "r1", "m.relates_to": { rel_type: "m.thread", event_id: root } });
      const r2 = await send(bob, { msgtype: "m.text", body: "r2", "m.relates_to": { rel_type: "m.thread", event_id: root } });
      const ref = await send(carol, { msgtype: "m.text", body: "see above", "m.relates_to": { rel_type: "m.reference", event_id: root } });
      const reaction = await send(alice, { "m.relates_to": { rel_type: "m.annotation", event_id: r1, key: "👍" } }, "m.reaction");
      const ids = (body: { chunk: Ev[] }) => body.chunk.map((e) => e.event_id);

      const all = await expectOk(t, "GET", v1(`/relations/${enc(root)}`), carol);
      assert.deepEqual(ids(all), [ref, r2, r1]);
      await matchesSpec("relations.yaml", "/rooms/{roomId}/relations/{eventId}", "get", all);
      assert.deepEqual(ids(await expectOk(t, "GET", v1(`/relations/${enc(root)}/m.thread`), carol)), [r2, r1]);
      assert.deepEqual(ids(await expectOk(t, "GET", v1(`/relations/${enc(root)}/m.thread/m.reaction`), carol)), []);
      assert.deepEqual(ids(await expectOk(t, "GET", v1(`/relations/${enc(root)}?dir=f`), carol)), [r1, r2, ref]);
      const first = await expectOk(t, "GET", v1(`/relations/${enc(root)}?limit=2`), carol);
      assert.deepEqual(ids(first), [ref, r2]);
      const rest = await expectOk(t, "GET", v1(`/relations/${enc(root)}?limit=2&from=${enc(first.next_batch)}`), carol);
      assert.deepEqual(ids(rest), [r1]);
      const deep = await expectOk(t, "GET", v1(`/relations/${enc(root)}?recurse=true`), carol);
      assert.deepEqual(ids(deep), [reaction, ref, r2, r1]);
      assert.equal(deep.recursion_depth, 3);

      const refs = (await getEvent(carol, root)).unsigned?.["m.relations"] as Record<string, unknown>;
      assert.deepEqual(refs["m.reference"], { chunk: [{ event_id: ref }] });

      const stranger = await registerUser(t);
      const hidden = await t.request("GET", v1(`/relations/${enc(root)}`), { token: stranger.token });
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.errcode, "M_NOT_FOUND");
      for (const q of ["?dir=x", "?from=nonsense", "?limit=0", "?recurse=yes"]) {
        const res = await t.request("GET", v1(`/relations/${enc(root)}${q}`), { token: carol.token });
        assert.equal(res.status, 400, q);
        assert.equal(res.body.errcode, "M_INVALID_PARAM", q);
      }
    });

    it("a redacted relation no longer counts", async () => {
      const root = await send(alice, { msgtype: "m.text", body: "will lose its edit" });
      const edit = await send(alice, { msgtype: "m.text", body: "* edited", "m.new_content": { msgtype: "m.text", body: "edited" }, "m.relates_to": { rel_type: "m.replace", event_id: root } });
      assert.ok((await getEvent(bob, root)).unsigned?.["m.relations"]);
      assert.equal((await redact(alice, edit, "r7")).status, 200);
      assert.equal((await getEvent(bob, root)).unsigned?.["m.relations"], undefined);
    });
  });
}
