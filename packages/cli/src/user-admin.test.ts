import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { RoomId } from "@axon/protocol";
import { freshDatabase } from "../../server/test/databases";
import { createRoom, createTestServer, joinRoom, registerUser, type TestServer } from "../../server/test/support";
import { axon } from "./run-axon";

const dir = mkdtempSync(join(tmpdir(), "axon-user-admin-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("axon user list, deactivate, reset-password (against a running server)", () => {
  const V3 = "/_matrix/client/v3";
  const loginAs = (t: TestServer, user: string, password: string) =>
    t.request("POST", `${V3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password } });
  /** The server applies the tools' changes within its poll interval (2 s): wait for `check` to hold. */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never happened: ${what}`);
  }

  it("deactivate logs out every device, stops logins, sets presence offline and leaves every room", async () => {
    const db = await freshDatabase("sqlite");
    const t = await createTestServer({ rate_limits: { login: { per_second: 0 } } }, { db });
    try {
      const alice = await registerUser(t, "alice", "pw-alice");
      const bob = await registerUser(t, "bob", "pw-bob");
      const roomId = await createRoom(t, alice, { preset: "public_chat" });
      await joinRoom(t, roomId, bob);
      const busy = await t.request("PUT", `${V3}/presence/${encodeURIComponent(bob.userId)}/status`, { token: bob.token, body: { presence: "busy", status_msg: "call" } });
      assert.equal(busy.status, 200);

      const list = await axon(["user", "list", "--database-url", db.url]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^@alice:localhost\s+active\s+1 device/m);
      assert.match(list.stdout, /^@bob:localhost\s+active\s+1 device/m);

      const res = await axon(["user", "deactivate", "bob", "--database-url", db.url]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), "@bob:localhost deactivated; 1 device logged out");

      // The running server had bob's token cached: it stops working all the same.
      await eventually(async () => (await t.request("GET", `${V3}/account/whoami`, { token: bob.token })).status === 401, "bob's token refused");
      await eventually(async () => !t.server.deps.membership.isJoined(roomId as RoomId, bob.userId), "bob left the room");
      const member = await t.request("GET", `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`, { token: alice.token });
      assert.equal(member.body.membership, "leave");
      assert.equal(t.server.deps.presence.current(bob.userId).state, "offline");
      assert.equal((await loginAs(t, "bob", "pw-bob")).status, 403);
      // Alice is untouched.
      assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: alice.token })).status, 200);

      const json = await axon(["user", "list", "--json", "--database-url", db.url]);
      const users = JSON.parse(json.stdout) as { user_id: string; deactivated: boolean; devices: number }[];
      assert.deepEqual(
        users.map((u) => [u.user_id, u.deactivated, u.devices]),
        [
          ["@alice:localhost", false, 1],
          ["@bob:localhost", true, 0],
        ],
      );
      const again = await axon(["user", "reset-password", "bob", "--password-file", file("bob.pw", "new\n"), "--database-url", db.url]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /deactivated/);
      const unknown = await axon(["user", "deactivate", "@nobody:localhost", "--database-url", db.url]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no such user/);
    } finally {
      await t.close();
      await db.cleanup();
    }
  });

  it("reset-password logs out every device, or keeps them with --keep-devices", async () => {
    const db = await freshDatabase("sqlite");
    const t = await createTestServer({ rate_limits: { login: { per_second: 0 } } }, { db });
    try {
      const carol = await registerUser(t, "carol", "old-pw");
      const kept = await axon(["user", "reset-password", "carol", "--keep-devices", "--password-file", file("c1.pw", "second-pw\n"), "--database-url", db.url]);
      assert.equal(kept.code, 0, kept.stderr);
      assert.equal(kept.stdout.trim(), "@carol:localhost: password changed; devices kept");
      assert.equal((await loginAs(t, "carol", "old-pw")).status, 403);
      const second = await loginAs(t, "carol", "second-pw");
      assert.equal(second.status, 200);
      assert.equal((await t.request("GET", `${V3}/account/whoami`, { token: carol.token })).status, 200);

      const res = await axon(["user", "reset-password", "@carol:localhost", "--database-url", db.url], "third-pw\n");
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), "@carol:localhost: password changed; 2 devices logged out");
      for (const token of [carol.token, second.body.access_token as string]) {
        await eventually(async () => (await t.request("GET", `${V3}/account/whoami`, { token })).status === 401, "old tokens refused");
      }
      assert.equal((await loginAs(t, "carol", "third-pw")).status, 200);
    } finally {
      await t.close();
      await db.cleanup();
    }
  });
});
