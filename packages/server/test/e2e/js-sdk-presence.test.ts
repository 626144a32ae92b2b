// MSC3026 busy presence as matrix-js-sdk 37.5.0 sees it, against a real Axon on port 0.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KnownMembership, Method, Preset, UserEvent, type MatrixClient, type MatrixEvent, type User } from "matrix-js-sdk";
import { addUser, startLiveServer, waitFor, type LiveServer } from "./harness";
import { assertAuditClean, loginClient, startSyncing, waitForEmit } from "./js-sdk-client";
import { SpecAudit } from "./spec-audit";

const PASSWORD = "correct horse battery";
const BUSY = "org.matrix.msc3026.busy";
const RTC_MEMBER = "org.matrix.msc3401.call.member";

describe("matrix-js-sdk 37.5.0 and busy presence", { timeout: 60_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  /** Two syncing clients sharing a room where anyone may post call memberships. */
  async function pair(tag: string): Promise<{ alice: MatrixClient; bob: MatrixClient; bobId: string; roomId: string; audit: SpecAudit }> {
    await addUser(live, `${tag}alice`, PASSWORD);
    const bobId = await addUser(live, `${tag}bob`, PASSWORD);
    // Every /sync (and its presence events) the SDK receives is checked against the spec, busy added.
    const audit = new SpecAudit();
    const alice = await loginClient(live.url, `${tag}alice`, PASSWORD, audit);
    const bob = await loginClient(live.url, `${tag}bob`, PASSWORD, audit);
    await Promise.all([startSyncing(alice), startSyncing(bob)]);
    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      invite: [bobId],
      // Element Call's rooms let every member publish their own call membership.
      power_level_content_override: { events: { [RTC_MEMBER]: 0 } },
    });
    await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === KnownMembership.Invite, "the invite");
    await bob.joinRoom(roomId);
    await waitFor(() => alice.getRoom(roomId)?.getMember(bobId)?.membership === KnownMembership.Join, "A to see B join");
    return { alice, bob, bobId, roomId, audit };
  }

  function presenceOf(client: MatrixClient, userId: string, presence: string, what: string): Promise<[MatrixEvent | undefined, User]> {
    return waitForEmit<[MatrixEvent | undefined, User]>(
      (l) => {
        client.on(UserEvent.Presence, l);
        return () => client.off(UserEvent.Presence, l);
      },
      (_event, user) => user.userId === userId && user.presence === presence,
      what,
    );
  }

  /** The SDK types state events it knows; a call membership goes out as a raw PUT, as Element Call's widget API does. */
  async function putCallMembership(client: MatrixClient, roomId: string, stateKey: string, content: Record<string, unknown>): Promise<void> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${RTC_MEMBER}/${encodeURIComponent(stateKey)}`;
    await client.http.authedRequest(Method.Put, path, undefined, content);
  }

  test("the server advertises busy; B sets busy with a raw PUT; A's User.presence fires with it", async () => {
    const { alice, bob, bobId, audit } = await pair("jsbusy");
    try {
      assert.equal(await alice.doesServerSupportUnstableFeature("org.matrix.msc3026.busy_presence"), true);

      const fired = presenceOf(alice, bobId, BUSY, "User.presence with busy at A");
      await bob.http.authedRequest(Method.Put, `/presence/${encodeURIComponent(bobId)}/status`, undefined, { presence: BUSY, status_msg: "on a call" });
      const [event, user] = await fired;
      assert.equal(alice.getUser(bobId)?.presence, BUSY);
      assert.equal(user.presenceStatusMsg, "on a call");
      assert.equal(event?.getSender(), bobId);
      const got = await alice.getPresence(bobId);
      assert.equal(got.presence, BUSY);
      await assertAuditClean(audit);
    } finally {
      alice.stopClient();
      bob.stopClient();
    }
  });

  test("a MatrixRTC call membership makes B busy; removing it restores online", async () => {
    const { alice, bob, bobId, roomId, audit } = await pair("jsrtc");
    try {
      await waitFor(() => alice.getUser(bobId)?.presence === "online", "A to see B online from B's syncing");

      const busy = presenceOf(alice, bobId, BUSY, "B busy at A after joining the call");
      const stateKey = `_${bobId}_${bob.getDeviceId()}`;
      await putCallMembership(bob, roomId, stateKey, {
        application: "m.call",
        call_id: "",
        scope: "m.room",
        device_id: bob.getDeviceId(),
        focus_active: { type: "livekit", focus_selection: "oldest_membership" },
        foci_preferred: [],
        expires: 3_600_000,
      });
      await busy;
      assert.equal(alice.getUser(bobId)?.presence, BUSY);

      const back = presenceOf(alice, bobId, "online", "B back online at A after leaving the call");
      await putCallMembership(bob, roomId, stateKey, {});
      await back;
      assert.equal(alice.getUser(bobId)?.presence, "online");
      await assertAuditClean(audit);
    } finally {
      alice.stopClient();
      bob.stopClient();
    }
  });

  test("a client that starts after B went busy sees busy from its initial sync", async () => {
    const { alice, bob, bobId, audit } = await pair("jsinit");
    const late = await loginClient(live.url, "jsinitalice", PASSWORD, audit);
    try {
      await bob.http.authedRequest(Method.Put, `/presence/${encodeURIComponent(bobId)}/status`, undefined, { presence: BUSY });
      await startSyncing(late);
      assert.equal(late.getUser(bobId)?.presence, BUSY);
      await assertAuditClean(audit);
    } finally {
      for (const c of [alice, bob, late]) c.stopClient();
    }
  });
});
