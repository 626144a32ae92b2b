// POST /user_directory/search: people who share a room with the searcher (or everyone, by switch), by id and display name.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "./databases";
import { assertMatchesSpec, specUnavailable, specValidators } from "./spec-schemas";
import { createRoom, createTestServer, expectOk, joinRoom, registerUser, type TestServer, type TestUser } from "./support";

const enc = encodeURIComponent;

for (const { name, skip } of await testDatabases()) {
  describe(`user directory on ${name}`, { skip }, () => {
    let t: TestServer;
    let everyone: TestServer;
    const users: Record<string, TestUser> = {};

    async function setUp(server: TestServer, prefix: string): Promise<void> {
      const make = async (key: string, displayname: string | null) => {
        const u = await registerUser(server, `${prefix}${key}`);
        if (displayname !== null) await server.server.deps.accounts.setProfile(u.userId, { displayname });
        users[`${prefix}${key}`] = u;
        return u;
      };
      const alice = await make("alice", "Alice");
      const bob = await make("bob", "Bob Builder");
      const bobby = await make("bobby", "bobby_100%");
      const carol = await make("carol", "Carol Bobson"); // shares no room with alice
      const dave = await make("dave", "Dave Bobbins"); // left the shared room
      const erin = await make("erin", "Erin Bob"); // only invited
      const room = await createRoom(server, alice, { preset: "public_chat" });
      await joinRoom(server, room, bob, bobby, dave);
      await expectOk(server, "POST", `/_matrix/client/v3/rooms/${enc(room)}/leave`, dave, {});
      await expectOk(server, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, alice, { user_id: erin.userId });
      await createRoom(server, carol, { preset: "public_chat" });
    }

    before(async () => {
      t = await createTestServer({}, { database: name });
      await setUp(t, "a");
      everyone = await createTestServer({ user_directory: { search_all_users: true } }, { database: name });
      await setUp(everyone, "b");
    });
    after(async () => {
      await t.close();
      await everyone.close();
    });

    const search = (server: TestServer, who: TestUser, body: unknown) => server.request("POST", "/_matrix/client/v3/user_directory/search", { token: who.token, body });
    const ids = (res: { body: { results: { user_id: string }[] } }) => res.body.results.map((r) => r.user_id);

    it("finds people who share a joined room, by display name or user id, case-insensitively", async () => {
      const a = users.aalice!;
      const res = await search(t, a, { search_term: "BOB" });
      assert.equal(res.status, 200);
      assert.deepEqual(ids(res), [users.abob!.userId, users.abobby!.userId]);
      assert.deepEqual(res.body.results[0], { user_id: users.abob!.userId, display_name: "Bob Builder" });
      assert.equal(res.body.limited, false);
      assert.deepEqual(ids(await search(t, a, { search_term: "builder" })), [users.abob!.userId]);
      assert.deepEqual(ids(await search(t, a, { search_term: `@${"abobby"}:` })), [users.abobby!.userId]);
      assert.deepEqual(ids(await search(t, a, { search_term: "bob build" })), [users.abob!.userId]);
      if (specUnavailable() === null) {
        assertMatchesSpec(await specValidators().responseValidator("users.yaml", "/user_directory/search", "post", 200), res.body, "user directory");
      }
    });

    it("takes % and _ literally, never finds the searcher, and says when it was limited", async () => {
      const a = users.aalice!;
      assert.deepEqual(ids(await search(t, a, { search_term: "100%" })), [users.abobby!.userId]);
      assert.deepEqual(ids(await search(t, a, { search_term: "_" })), [users.abobby!.userId]);
      assert.deepEqual(ids(await search(t, a, { search_term: "alice" })), []);
      const one = await search(t, a, { search_term: "bob", limit: 1 });
      assert.deepEqual(ids(one), [users.abob!.userId]);
      assert.equal(one.body.limited, true);
      assert.deepEqual((await search(t, a, { search_term: "   " })).body, { limited: false, results: [] });
    });

    it("with search_all_users, finds everyone on the server", async () => {
      const res = await search(everyone, users.balice!, { search_term: "bob" });
      assert.deepEqual(new Set(ids(res)), new Set(["bbob", "bbobby", "bcarol", "bdave", "berin"].map((k) => users[k]!.userId)));
      assert.equal(ids(res)[0], users.bbob!.userId, "a name starting with the term comes first");
    });

    it("refuses bad requests with Matrix errors", async () => {
      const a = users.aalice!;
      for (const [body, errcode] of [
        [{}, "M_MISSING_PARAM"],
        [{ search_term: 5 }, "M_BAD_JSON"],
        [{ search_term: "x", limit: -1 }, "M_INVALID_PARAM"],
      ] as const) {
        const res = await search(t, a, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.errcode, errcode, JSON.stringify(body));
      }
      assert.equal((await t.request("POST", "/_matrix/client/v3/user_directory/search", { body: { search_term: "x" } })).status, 401);
    });
  });
}
