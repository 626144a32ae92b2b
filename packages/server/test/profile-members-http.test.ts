// A display name or avatar change reaches the rooms the user is in (as new member events).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createRoom, expectOk, joinRoom, registerUser, serverPool } from "./support";

describe("profile changes update member events", () => {
  const pool = serverPool();
  after(pool.closeAll);

  it("every joined room gets a member event with the new name and avatar; other rooms and other content stay", async () => {
    const t = await pool.create();
    const a = await registerUser(t);
    const b = await registerUser(t);
    const c = await registerUser(t);
    const shared = await createRoom(t, a, { preset: "public_chat" });
    const second = await createRoom(t, a, { preset: "public_chat" });
    const elsewhere = await createRoom(t, c, { preset: "public_chat" });
    await joinRoom(t, shared, b);
    const first = await expectOk(t, "GET", "/_matrix/client/v3/sync", b);

    await expectOk(t, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(a.userId)}/displayname`, a, { displayname: "Ada Lovelace" });
    await expectOk(t, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(a.userId)}/avatar_url`, a, { avatar_url: "mxc://localhost/ada" });

    for (const room of [shared, second]) {
      const members = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/joined_members`, a);
      assert.deepEqual(members.joined[a.userId], { display_name: "Ada Lovelace", avatar_url: "mxc://localhost/ada" });
      const event = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/m.room.member/${encodeURIComponent(a.userId)}`, a);
      assert.equal(event.membership, "join");
    }
    // B's next sync carries A's new member events in the room they share.
    const next = await expectOk(t, "GET", `/_matrix/client/v3/sync?since=${first.next_batch}`, b);
    const events = next.rooms.join[shared].timeline.events.filter((e: { type: string; state_key?: string }) => e.type === "m.room.member" && e.state_key === a.userId);
    assert.equal(events.at(-1).content.displayname, "Ada Lovelace");
    assert.equal(events.at(-1).content.avatar_url, "mxc://localhost/ada");
    // A room A is not in gets nothing.
    const other = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(elsewhere)}/joined_members`, c);
    assert.equal(other.joined[a.userId], undefined);

    // Clearing the name removes it from the member events; setting the same name again sends nothing new.
    await expectOk(t, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(a.userId)}/displayname`, a, { displayname: null });
    const cleared = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(shared)}/state/m.room.member/${encodeURIComponent(a.userId)}`, a);
    assert.equal("displayname" in cleared, false);
    const before = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(shared)}/messages?dir=b&limit=50`, a);
    await expectOk(t, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(a.userId)}/avatar_url`, a, { avatar_url: "mxc://localhost/ada" });
    const afterSame = await expectOk(t, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(shared)}/messages?dir=b&limit=50`, a);
    assert.equal(afterSame.chunk.length, before.chunk.length, "no member event when nothing changed");
  });
});
