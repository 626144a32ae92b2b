import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoomId } from "@axon/protocol";
import { freshDatabase } from "./databases";
import { createTestServer, registerUser } from "./support";

const V3 = "/_matrix/client/v3";

describe("rooms across a restart", () => {
  it("refills the membership index, keeps stream positions and accepts an old sync token", async () => {
    const db = await freshDatabase("sqlite");
    try {
      const first = await createTestServer({}, { db });
      const alice = await registerUser(first, "alice");
      const created = await first.request("POST", `${V3}/createRoom`, { token: alice.token, body: { name: "Durable" } });
      const roomId = created.body.room_id as RoomId;
      const before = await first.request("GET", `${V3}/sync`, { token: alice.token });
      await first.close();

      const second = await createTestServer({}, { db });
      try {
        assert.equal(second.server.deps.membership.isJoined(roomId, alice.userId), true);
        const since = before.body.next_batch as string;
        const empty = await second.request("GET", `${V3}/sync?since=${since}`, { token: alice.token });
        assert.equal(empty.status, 200, JSON.stringify(empty.body));
        assert.equal(empty.body.rooms, undefined);
        const sent = await second.request("PUT", `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/x`, {
          token: alice.token,
          body: { msgtype: "m.text", body: "after restart" },
        });
        assert.equal(sent.status, 200);
        const next = await second.request("GET", `${V3}/sync?since=${since}`, { token: alice.token });
        assert.equal(next.body.rooms.join[roomId].timeline.events.at(-1).content.body, "after restart");
      } finally {
        await second.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});
