// @axon/sdk/js-sdk with a real matrix-js-sdk 37.5.0 client against a real Axon (and one without busy).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Method, Preset, UserEvent, type MatrixClient } from "matrix-js-sdk";
import { addUser, startLiveServer, waitFor, type LiveServer } from "../../server/test/e2e/harness";
import { loginClient, startSyncing } from "../../server/test/e2e/js-sdk-client";
import { autoBusy, clearBusy, presenceOf, setBusy, supportsBusy } from "../src/js-sdk";

const PASSWORD = "correct horse battery";
const RTC = "org.matrix.msc3401.call.member";

describe("the matrix-js-sdk adapter", { timeout: 60_000 }, () => {
  let live: LiveServer;
  let noBusy: LiveServer;
  const clients: MatrixClient[] = [];
  before(async () => {
    [live, noBusy] = await Promise.all([startLiveServer({ presence: { busy_during_calls: false } }), startLiveServer({ presence: { busy_presence: false } })]);
  });
  after(async () => {
    for (const c of clients) c.stopClient();
    await Promise.all([live.close(), noBusy.close()]);
  });

  async function pair(server: LiveServer, tag: string): Promise<{ alice: MatrixClient; bob: MatrixClient; roomId: string }> {
    await addUser(server, `${tag}alice`, PASSWORD);
    const bobId = await addUser(server, `${tag}bob`, PASSWORD);
    const alice = await loginClient(server.url, `${tag}alice`, PASSWORD);
    const bob = await loginClient(server.url, `${tag}bob`, PASSWORD);
    clients.push(alice, bob);
    await Promise.all([startSyncing(alice), startSyncing(bob)]);
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PrivateChat, invite: [bobId], power_level_content_override: { events: { [RTC]: 0 } } });
    await waitFor(() => bob.getRoom(roomId) !== null, "the invite");
    await bob.joinRoom(roomId);
    await waitFor(() => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join", "bob's join");
    return { alice, bob, roomId };
  }

  it("setBusy goes through the client's HTTP, the other client's presenceOf reads busy, clearBusy ends it", async () => {
    const { alice, bob } = await pair(live, "sb");
    assert.equal(await supportsBusy(bob), true);
    // What the adapter exists for: the SDK's own setPresence refuses busy.
    await assert.rejects(bob.setPresence({ presence: "org.matrix.msc3026.busy" as "online" }));
    const res = await setBusy(bob, "in a call");
    assert.deepEqual(res, { requested: "busy", applied: "busy", fallback: false, statusMsg: "in a call", until: null, untilUnsupported: false });
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.state === "busy", "alice to see bob busy");
    const p = presenceOf(alice, bob.getUserId()!)!;
    assert.equal(p.raw, "org.matrix.msc3026.busy");
    assert.equal(p.statusMsg, "in a call");
    await clearBusy(bob);
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.state === "online", "alice to see bob online");
    assert.equal(presenceOf(alice, bob.getUserId()!)!.statusMsg, null);
    assert.equal(presenceOf(alice, "@nobody:localhost"), null);
  });

  it("falls back to unavailable on a server without busy, keeping the message", async () => {
    const { alice, bob } = await pair(noBusy, "fb");
    // Bob's client stops syncing first: on Axon an explicit away is not sticky, so a client that keeps
    // syncing as online comes back online at its next sync (see docs/presence.md); what is tested here
    // is what the adapter sends.
    bob.stopClient();
    const res = await setBusy(bob, "focus");
    assert.deepEqual(res, { requested: "busy", applied: "unavailable", fallback: true, statusMsg: "focus", until: null, untilUnsupported: false });
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.state === "unavailable" && presenceOf(alice, bob.getUserId()!)?.statusMsg === "focus", "alice to see bob away");
  });

  it("autoBusy follows a MatrixRTC membership seen by the client's own sync, then restores; the client's sync presence is untouched", async () => {
    const { alice, bob, roomId } = await pair(live, "ab");
    await bob.http.authedRequest(Method.Put, `/presence/${encodeURIComponent(bob.getUserId()!)}/status`, undefined, { presence: "online", status_msg: "around" });
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.statusMsg === "around", "alice to see bob's message");
    const busy = autoBusy(bob);
    const changes: boolean[] = [];
    busy.on("change", (inCall) => changes.push(inCall));
    const stateKey = `_${bob.getUserId()}_${bob.getDeviceId()}`;
    await bob.http.authedRequest(Method.Put, `/rooms/${encodeURIComponent(roomId)}/state/${RTC}/${encodeURIComponent(stateKey)}`, undefined, {
      application: "m.call",
      call_id: "",
      scope: "m.room",
      device_id: bob.getDeviceId(),
      expires: 3_600_000,
    });
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.state === "busy" && presenceOf(alice, bob.getUserId()!)?.statusMsg === "In a call", "bob busy in the call");
    let userEvents = 0;
    alice.getUser(bob.getUserId()!)?.on(UserEvent.Presence, () => userEvents++);
    await bob.http.authedRequest(Method.Put, `/rooms/${encodeURIComponent(roomId)}/state/${RTC}/${encodeURIComponent(stateKey)}`, undefined, {});
    await waitFor(() => presenceOf(alice, bob.getUserId()!)?.state === "online" && presenceOf(alice, bob.getUserId()!)?.statusMsg === "around", "bob's state restored");
    assert.ok(userEvents >= 1);
    await waitFor(() => changes.length === 2, "autoBusy to finish the restore");
    assert.deepEqual(changes, [true, false]);
    // The client kept syncing on its own the whole time.
    assert.equal(bob.getSyncState(), "SYNCING");
    busy.stop();
  });
});
